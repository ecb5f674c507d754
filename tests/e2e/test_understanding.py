"""Citizens write what they need in their own words and land in the right place."""

from __future__ import annotations

from dialogs import texts
from nlp.tracking import format_tracking_code, new_tracking_code
from tests.helpers.world import World


async def test_documents_for_a_passport_in_plain_words(world: World) -> None:
    reply = await world.client.person(4001, "مریم").says("مدارک لازم برای گذرنامه")
    page = reply.last
    assert page.text.startswith("📄 صدور و تمدید گذرنامه")
    assert "🏢 کجا: پلیس +۱۰" in page.text
    assert "۱. اصل شناسنامه" in page.text
    assert "مدرک وضعیت نظام وظیفه (برای آقایان ۱۸ تا ۵۰ سال)" in page.text
    assert "💰 هزینه رسمی (۱۴۰۴): ۱۱٬۶۲۰٬۰۰۰ ریال (حدود ۱٬۱۶۲٬۰۰۰ تومان)" in page.text
    # A figure of a past year (1404; it is 1405 or later now) says it may have changed.
    assert texts.DOCS_FEE_OLD.format(year="۱۴۰۴") in page.text
    assert page.labels == [texts.DOCS_FIND, texts.DOCS_BOOK, texts.DOCS_MENU]


async def test_three_services_show_their_own_documents(world: World) -> None:
    citizen = world.client.person(4002, "علی")
    licence = (await citizen.says("تمدید گواهی نامه")).last.text
    plate = (await citizen.says("تعویض پلاک ماشین")).last.text
    card = (await citizen.says("/docs كارت ملي هوشمند")).last.text
    assert licence.startswith("📄 تمدید و تعویض گواهینامه رانندگی")
    assert plate.startswith("📄 تعویض پلاک هنگام خرید و فروش خودرو")
    assert card.startswith("📄 ثبت‌نام و تعویض کارت ملی هوشمند")
    assert "کد پستی ۱۰ رقمی و نشانی" in licence and "برگ سبز" not in licence
    assert "سند مالکیت خودرو (برگ سبز)" in plate and "کد رهگیری پیش‌ثبت‌نام" not in plate
    assert "کد رهگیری پیش‌ثبت‌نام در ncr.ir" in card and "برگ سبز" not in card
    assert "🌐 انجام اینترنتی" in card and "https://ncr.ir" in card


async def test_a_service_done_online_says_no_visit_is_needed_first(world: World) -> None:
    reply = await world.client.person(4003, "سارا").says("پرداخت قبض برق")
    page = reply.last.text
    lines = page.splitlines()
    assert lines[2] == texts.DOCS_NO_VISIT
    assert lines[3].startswith("💡 این کار را اینترنتی هم می‌توانید انجام دهید")
    assert "tavanir.org.ir" in lines[3]
    assert texts.DOCS_LIST not in page
    assert reply.last.labels == [texts.DOCS_FIND, texts.DOCS_MENU]  # nothing to book


async def test_booking_words_lead_to_booking_that_service(world: World) -> None:
    reply = await world.client.person(4004, "رضا").says("نوبت کارت ملی")
    assert reply.text == texts.BOOK_WHERE.format(service="ثبت‌نام و تعویض کارت ملی هوشمند")


async def test_nearest_counter_without_a_service_asks_which_one_by_category(world: World) -> None:
    narges = world.client.person(4005, "نرگس")
    reply = await narges.says("نزدیکترین پیشخوان")
    assert reply.text == texts.CHOOSE_CATEGORY
    assert "هویت و ثبت احوال" in reply.labels
    reply = await narges.presses("هویت و ثبت احوال")
    assert "تعویض شناسنامه" in reply.labels
    reply = await narges.presses("تعویض شناسنامه")
    assert reply.text == texts.FIND_WHERE.format(service="تعویض شناسنامه")


async def test_a_doubtful_request_is_asked_about_with_the_best_three(world: World) -> None:
    hasan = world.client.person(4006, "حسن")
    reply = await hasan.says("کارت ملیمو گم کردم")
    assert reply.text == texts.WHICH_SERVICE
    assert reply.labels[:2] == ["کارت ملی گم‌شده (المثنی)", "ثبت‌نام و تعویض کارت ملی هوشمند"]
    assert reply.labels[-1] == texts.NONE_OF_THESE
    page = await hasan.presses("کارت ملی گم‌شده (المثنی)")
    assert page.last.text.startswith("📄 کارت ملی گم‌شده (المثنی)")


async def test_a_message_holding_a_tracking_code_goes_to_tracking(world: World) -> None:
    code = new_tracking_code()
    citizen = world.client.person(4007, "زهرا")
    reply = await citizen.says(f"سلام کد رهگیریم {code.lower()} هست چی شد؟")
    assert reply.text == texts.TRACK_UNKNOWN.format(code=format_tracking_code(code))
    wrong = code[:7] + ("2" if code[7] != "2" else "3")
    reply = await citizen.says(f"کدم {wrong}")
    assert reply.text == texts.TRACKING_CODE_MISTYPED.format(code=format_tracking_code(wrong))


async def test_tracking_asks_for_the_code_and_waits_for_it(world: World) -> None:
    citizen = world.client.person(4008, "امید")
    assert (await citizen.says("/track")).text == texts.ASK_TRACKING_CODE
    assert (await citizen.says("asdf qwer")).text == texts.NOT_A_TRACKING_CODE
    code = new_tracking_code()
    reply = await citizen.says(format_tracking_code(code))
    assert reply.text == texts.TRACK_UNKNOWN.format(code=format_tracking_code(code))


async def test_greetings_and_thanks_get_a_human_answer(world: World) -> None:
    citizen = world.client.person(4009, "کاوه")
    assert (await citizen.says("سلاااام")).text == texts.GREETING_AGAIN.format(name=" کاوه")
    assert (await citizen.says("مرسی دستت درد نکنه")).text == texts.YOU_ARE_WELCOME


async def test_the_documents_menu_button_browses_categories(world: World) -> None:
    citizen = world.client.person(4010, "لیلا")
    await citizen.says("/start")
    reply = await citizen.presses(texts.MENU_DOCS)
    assert reply.text == texts.CHOOSE_CATEGORY
    reply = await citizen.presses("گذرنامه و سفر")
    reply = await citizen.presses("صدور و تمدید گذرنامه")
    assert reply.last.text.startswith("📄 صدور و تمدید گذرنامه")
    reply = await citizen.presses(texts.DOCS_MENU)
    assert reply.text == texts.MENU_AGAIN
