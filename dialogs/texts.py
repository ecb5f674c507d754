"""Every Persian sentence a citizen or clerk reads, named by what it says."""

from __future__ import annotations

BOT_NAME = "پیشخوان"

# --- Main menu -------------------------------------------------------------------------------
MENU_FIND = "🔎 نزدیک‌ترین دفتر"
MENU_DOCS = "📄 مدارک لازم"
MENU_BOOK = "📅 گرفتن نوبت"
MENU_TRACK = "🔢 پیگیری درخواست"
MENU_MY_BOOKINGS = "🗂 نوبت‌های من"
MENU_HELP = "❓ راهنما"
MENU_COMPLAINT = "📝 ثبت شکایت"

GREETING = (
    "سلام{name}! 👋\n"
    "من ربات «پیشخوان» هستم. کمکتان می‌کنم نزدیک‌ترین دفتری را پیدا کنید که کار شما را "
    "واقعاً انجام می‌دهد (پیشخوان دولت، پلیس +۱۰، خدمات قضایی، دفاتر خدمات شهر و …)، "
    "بدانید چه مدارکی همراه ببرید و چقدر هزینه دارد، نوبت بگیرید و درخواستتان را پیگیری کنید.\n\n"
    "یکی از دکمه‌ها را بزنید یا کارتان را بنویسید، مثلاً «مدارک لازم برای گذرنامه»."
)
MENU_AGAIN = "چه کار دیگری برایتان انجام بدهم؟"

HELP = (
    "راهنمای ربات پیشخوان\n\n"
    "/find — پیدا کردن نزدیک‌ترین دفتری که خدمت مورد نظرتان را ارائه می‌دهد\n"
    "/docs — مدارک لازم، هزینه رسمی و امکان انجام اینترنتی هر خدمت\n"
    "/book — گرفتن نوبت در یک دفتر\n"
    "/track — پیگیری درخواست با کد رهگیری\n"
    "/mybookings — نوبت‌های فعال شما\n"
    "/complaint — شکایت از یک دفتر (پول اضافه، مدارک اضافه، تعطیلی بی‌دلیل، …)\n"
    "/cancel — لغو کار فعلی و بازگشت به منو\n\n"
    "می‌توانید به زبان خودتان هم بنویسید؛ مثلاً «میخوام پاسپورت بگیرم» یا "
    "«نزدیکترین دفتر پلیس +۱۰». در هر مرحله با /cancel به منوی اصلی برمی‌گردید.\n\n"
    "کد ملی و شماره همراه شما فقط برای ثبت نوبت استفاده می‌شود و جایی به‌طور کامل نمایش "
    "داده نمی‌شود."
)

CANCELLED = "باشه، کار قبلی لغو شد و به منوی اصلی برگشتیم."
NOTHING_TO_CANCEL = "کاری در جریان نبود. از منوی زیر انتخاب کنید."

# --- Things the bot does not understand (yet) ------------------------------------------------
UNKNOWN_COMMAND = (
    "دستور «{command}» را نمی‌شناسم. 🤔\n"
    "دستورهایی که می‌شناسم در /help آمده است؛ یا از منوی زیر انتخاب کنید."
)
NOT_UNDERSTOOD = (
    "متوجه نشدم چه کاری دارید. 🙏\n"
    "لطفاً یکی از گزینه‌های زیر را بزنید، یا کارتان را کوتاه بنویسید؛ مثلاً «تمدید گواهینامه»."
)
MESSAGE_TOO_LONG = (
    "پیامتان خیلی طولانی است ({length} نویسه). لطفاً کوتاه‌تر بنویسید؛ حداکثر {limit} نویسه."
)
UNSUPPORTED_MESSAGE = (
    "فعلاً فقط پیام متنی، موقعیت مکانی و شماره تماس را می‌فهمم. "
    "لطفاً کارتان را بنویسید یا از منو انتخاب کنید."
)
SLOW_DOWN = (
    "پیام‌هایتان خیلی پشت سر هم می‌رسد و چند تای آخر را نادیده گرفتم. 🙏 "
    "لطفاً چند ثانیه صبر کنید و بعد ادامه دهید."
)
DROPPED_PERSONAL = (
    "پیامتان کد ملی یا شماره همراه داشت و خوانده نشد؛ برای حفظ حریم خصوصی آن را پاک کردم. "
    "چند ثانیه بعد دوباره بفرستید."
)
STALE_BUTTON = "این دکمه دیگر معتبر نیست؛ از منوی تازه ادامه دهید."
LOCATION_OUTSIDE_FLOW = (
    "موقعیت شما را دریافت کردم. 📍 برای چه کاری دنبال دفتر می‌گردید؟ از منوی زیر انتخاب کنید."
)
STEP_LEFT_BEHIND = "ربات به‌روز شده و کار نیمه‌تمام قبلی‌تان دیگر ادامه ندارد؛ از نو شروع می‌کنیم. 🙏"
ERROR = (
    "متأسفانه خطایی پیش آمد و کارتان انجام نشد. 🙏\n"
    "لطفاً دوباره از منو شروع کنید. اگر نوبتی ثبت کرده بودید، با /mybookings آن را ببینید."
)
# An update tried again several times while the messenger failed, then given up.
GAVE_UP = (
    "پیام‌رسان چند دقیقه پاسخ ما را نمی‌پذیرفت و آخرین پیام یا دکمهٔ شما بی‌پاسخ ماند. 🙏\n"
    "لطفاً دوباره بفرستید. اگر نوبتی ثبت کرده بودید، با /mybookings آن را ببینید."
)
GROUP_ONLY_COMMANDS = (
    "سلام! من در گروه‌ها فقط برای کارکنان دفاتر کار می‌کنم. "
    "برای گرفتن نوبت و پیگیری، در گفت‌وگوی خصوصی با من بنویسید."
)

# --- Bot command list (setMyCommands) --------------------------------------------------------
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", "شروع و منوی اصلی"),
    ("find", "نزدیک‌ترین دفتر ارائه‌دهنده خدمت"),
    ("docs", "مدارک لازم و هزینه خدمت"),
    ("book", "گرفتن نوبت"),
    ("track", "پیگیری با کد رهگیری"),
    ("mybookings", "نوبت‌های من"),
    ("complaint", "شکایت از یک دفتر"),
    ("cancel", "لغو کار فعلی"),
    ("help", "راهنما"),
)
BOT_DESCRIPTION = (
    "پیدا کردن نزدیک‌ترین دفتر پیشخوان، پلیس +۱۰، خدمات قضایی و دفاتر خدمات شهر، "
    "مدارک لازم، نوبت‌گیری و پیگیری درخواست."
)

# --- Understanding free text -----------------------------------------------------------------
WHICH_SERVICE = "منظورتان کدام خدمت است؟ 👇"
NONE_OF_THESE = "هیچ‌کدام"
CHOOSE_CATEGORY = "کارتان در کدام دسته است؟ 👇"
CHOOSE_SERVICE_IN = "«{category}» — خدمت مورد نظر را انتخاب کنید: 👇"
BACK_TO_CATEGORIES = "↩️ دسته‌ها"
YOU_ARE_WELCOME = "خواهش می‌کنم! 🌷 اگر کار دیگری دارید، بنویسید یا از منو انتخاب کنید."
GREETING_AGAIN = (
    "سلام{name}! 👋 چه کاری برایتان انجام بدهم؟ کارتان را بنویسید یا از منو انتخاب کنید."
)
ASK_TRACKING_CODE = (
    "کد رهگیری‌تان را بفرستید؛ هشت نویسه است، مثل ABCD-2345. 🔢\n"
    "(کد را پس از گرفتن نوبت دریافت کرده‌اید.)"
)
NOT_A_TRACKING_CODE = (
    "این کد رهگیری نیست. 🙏 کد هشت نویسه است، مثل ABCD-2345. اگر کار دیگری دارید، /cancel را بزنید."
)
TRACKING_CODE_MISTYPED = (
    "کد «{code}» درست نیست؛ احتمالاً یکی از نویسه‌هایش اشتباه تایپ شده است. 🙏\n"
    "لطفاً کد را دوباره از پیامی که هنگام گرفتن نوبت دریافت کردید بفرستید."
)

# --- Documents of a service ------------------------------------------------------------------
DOCS_TITLE = "📄 {name}"
DOCS_NETWORKS = "🏢 کجا: {networks}"
DOCS_NO_VISIT = "✅ برای این کار لازم نیست به دفتر بروید."
DOCS_ONLINE = "🌐 انجام اینترنتی: {name} — {url}"
DOCS_ONLINE_FIRST = "💡 این کار را اینترنتی هم می‌توانید انجام دهید: {name} — {url}"
DOCS_LIST = "مدارکی که همراه ببرید:"
DOCS_ITEM = "{number}. {name}"
DOCS_ITEM_NOTE = "{number}. {name} ({note})"
DOCS_NONE = "مدرک خاصی لازم نیست؛ کارت ملی همراه داشته باشید."
DOCS_FEE = "💰 هزینه رسمی ({year}): {rial} ریال (حدود {toman} تومان)"
DOCS_FEE_FREE = "💰 هزینه رسمی ({year}): رایگان"
# After DOCS_FEE or DOCS_FEE_FREE when the figure is of an earlier year than the current one.
DOCS_FEE_OLD = (
    "\n⚠️ این رقم مربوط به سال {year} است و ممکن است از آن زمان تغییر کرده باشد؛ "
    "پیش از پرداخت، تعرفهٔ امسال را از دفتر بپرسید."
)
DOCS_FEE_UNKNOWN = (
    "💰 هزینه رسمی: در منابع رسمی اعلام نشده است؛ پیش از پرداخت، تعرفه را از دفتر بخواهید."
)
DOCS_DURATION = "⏱ زمان معمول: {duration}"
DOCS_ESSENTIAL = "⚠️ جزو خدمات ضروری است."
DOCS_FIND = "📍 نزدیک‌ترین دفتر"
DOCS_BOOK = "📅 گرفتن نوبت"
DOCS_MENU = "🏠 منوی اصلی"
SERVICE_GONE = "این خدمت دیگر در فهرست نیست. لطفاً دوباره جست‌وجو کنید."

# --- Finding a counter -----------------------------------------------------------------------
FIND_WHERE = (
    "📍 برای «{service}» دنبال نزدیک‌ترین دفتر می‌گردم.\n"
    "موقعیت خود را با دکمهٔ زیر بفرستید، یا نام شهر یا منطقهٔ تهران را بنویسید "
    "(مثلاً «اصفهان» یا «منطقه ۵»)."
)
SHARE_LOCATION = "📍 ارسال موقعیت من"
FIND_CANCEL = "انصراف"
FIND_FROM_PLACE = "📍 فاصله‌ها از مرکز {origin} است."
FIND_SEARCHING = "🔎 در حال جست‌وجوی دفترهای نزدیک {origin}…"
FIND_ORIGIN_LOCATION = "شما"
FIND_PLACE_UNKNOWN = (
    "«{text}» را به‌عنوان شهر یا منطقه پیدا نکردم. 🙏\n"
    "نام شهر را بنویسید (مثلاً «شیراز»)، یا موقعیت خود را با دکمهٔ زیر بفرستید."
)
FIND_HEADER = "🔎 نزدیک‌ترین دفترهایی که «{service}» را انجام می‌دهند:"
FIND_HEADER_MORE = "🔎 دفترهای دورتر برای «{service}»:"
FIND_FAR = "در {km} کیلومتری شما دفتری که این کار را انجام دهد پیدا نکردم؛ نزدیک‌ترین‌ها این‌ها هستند:"
FIND_NONE = (
    "متأسفانه هیچ دفتری در فهرست ما «{service}» را انجام نمی‌دهد. 🙏\n"
    "مدارک و راه‌های دیگر را در صفحهٔ مدارک ببینید."
)
FIND_NO_MORE = "دفتر دیگری که این کار را انجام دهد در فهرست نیست."
FIND_ITEM = "{number}. {name} — {network}\n   📏 {km} کیلومتر · {status}\n   📍 {address}"
FIND_ITEM_PHONE = "\n   ☎️ {phone}"
FIND_ITEM_NOTE = "\n   📝 {note}"
OPEN_UNTIL = "🟢 باز است تا {time}"
CLOSED_OPENS = "🔴 بسته است؛ {day} ساعت {time} باز می‌شود"
CLOSED_HOLIDAY_OPENS = "🔴 امروز تعطیل رسمی است ({holiday})؛ {day} ساعت {time} باز می‌شود"
CLOSED_FOR_OPENS = "🔴 بسته است ({reason})؛ {day} ساعت {time} باز می‌شود"
CLOSED_NO_HOURS = "🔴 بسته است؛ ساعت کاری اعلام نشده"
OFFICE_MAP = "📍 نقشه {number}"
OFFICE_DOCS = "📄 مدارک {number}"
OFFICE_BOOK = "📅 نوبت {number}"
FIND_MORE = "➡️ دفترهای دورتر"
FIND_OPEN_NOW_OFF = "🕒 فقط باز در این لحظه"
FIND_OPEN_NOW_ON = "✅ فقط باز در این لحظه"
FIND_ALL_NETWORKS = "همه"
FIND_NETWORK_ON = "✅ {network}"
FIND_FILTERED = "🔽 فیلتر: {filters}"
FIND_FILTER_OPEN = "باز در این لحظه (ساعت {time})"
FIND_FILTER_SEPARATOR = " · "
FIND_NONE_FILTERED = (
    "در {km} کیلومتری شما {which} که «{service}» را انجام دهد{open} پیدا نکردم. 🙏\n"
    "با دکمه‌های زیر فیلتر را بردارید تا دفترهای دیگر را هم ببینید."
)
FIND_NONE_WHICH = "دفتری"
FIND_NONE_WHICH_NETWORK = "دفتری از «{network}»"
FIND_NONE_OPEN = " و همین حالا (ساعت {time}) باز باشد"
OFFICE_GONE = "این دفتر دیگر در فهرست نیست. لطفاً دوباره جست‌وجو کنید."
OFFICE_NOTE = "📝 نکتهٔ «{office}»: {note}"

# --- Booking ---------------------------------------------------------------------------------
BOOK_WHERE = (
    "📅 برای نوبت «{service}» اول دفتر را انتخاب کنیم.\n"
    "موقعیت خود را با دکمهٔ زیر بفرستید، یا نام شهر یا منطقهٔ تهران را بنویسید "
    "(مثلاً «اصفهان» یا «منطقه ۵»)."
)
FIND_NEXT_FREE = "\n   📅 نخستین نوبت آزاد: {when}"
FIND_NO_FREE = "\n   📅 تا {days} روز آینده نوبت آزاد ندارد"
BOOK_PICK_DAY = "📅 نوبت «{service}» در «{office}»\nروز را انتخاب کنید:"
BOOK_DAY_BUTTON = "{day} · {count} نوبت"
BOOK_NO_DAYS = (
    "متأسفانه «{office}» تا {days} روز آینده نوبت آزاد برای «{service}» ندارد. 🙏\n"
    "دفتر دیگری را از فهرست انتخاب کنید."
)
BOOK_ASKED_DAY_FULL = "😕 برای {day} نوبت آزادی نمانده است."
BOOK_PICK_TIME = "📅 {day} در «{office}»\nساعت را انتخاب کنید:"
BOOK_BACK_TO_DAYS = "↩️ روزها"
BOOK_CANCEL = "✖️ انصراف"
BOOK_BACK = "↩️ بازگشت"
BOOK_ASK_NATIONAL_CODE = (
    "🪪 کد ملی ۱۰ رقمی صاحب نوبت را بفرستید.\n"
    "پیام شما بلافاصله پس از خواندن از گفت‌وگو پاک می‌شود و کد ملی رمزنگاری‌شده نگه داشته می‌شود."
)
BOOK_NATIONAL_CODE_LENGTH = (
    "کد ملی باید ۱۰ رقم باشد؛ آنچه فرستادید {count} رقم دارد. لطفاً دوباره بفرستید."
)
BOOK_NATIONAL_CODE_CHECKSUM = (
    "این کد ملی معتبر نیست (رقم کنترل آن نمی‌خواند). لطفاً رقم‌ها را از روی کارت ملی دوباره بفرستید."
)
BOOK_NATIONAL_CODE_PLACEHOLDER = "این کد ملی واقعی نیست. لطفاً کد ملی صاحب نوبت را بفرستید."
BOOK_NATIONAL_CODE_RECEIVED = "✔️ کد ملی {masked} دریافت شد و پیام آن پاک شد."
BOOK_ASK_MOBILE = (
    "📱 شماره همراه را بفرستید تا یادآوری و خبرهای درخواست را داشته باشید؛ "
    "با دکمهٔ زیر یا تایپ شماره (مثلاً ۰۹۱۲۱۲۳۴۵۶۷)."
)
SHARE_CONTACT = "📱 ارسال شماره من"
BOOK_MOBILE_INVALID = (
    "این شماره همراه ایران نیست. شماره را به شکل "
    "۰۹۱۲۱۲۳۴۵۶۷ بفرستید یا دکمهٔ «ارسال شماره من» را بزنید."
)
BOOK_MOBILE_RECEIVED = "✔️ شماره {masked} ثبت شد."
BOOK_SUMMARY = (
    "لطفاً بررسی و تأیید کنید:\n\n"
    "🧾 خدمت: {service}\n"
    "🏢 دفتر: {office}\n"
    "📍 نشانی: {address}\n"
    "📅 زمان: {day} ساعت {time}\n"
    "🪪 کد ملی: {national_code}\n"
    "📱 همراه: {mobile}\n\n"
    "{documents}\n\n"
    "{fee}"
)
BOOK_CONFIRM = "✅ تأیید و ثبت نوبت"
BOOK_CHANGE_TIME = "↩️ تغییر زمان"
BOOK_DONE = (
    "✅ نوبت شما ثبت شد.\n\n"
    "🔢 کد رهگیری: {code}\n"
    "🧾 {service}\n"
    "🏢 {office}\n"
    "📍 {address}\n"
    "📅 {day} ساعت {time}\n\n"
    "{documents}\n\n"
    "کد رهگیری را نگه دارید؛ با /track یا فرستادن همین کد وضعیت را می‌بینید.{reminders}"
)
# What BOOK_DONE promises, by the reminders the booking will really get (none: nothing said).
BOOK_REMINDERS = {
    ("reminder.day_before", "reminder.hour_before"): (
        " یک روز و یک ساعت پیش از نوبت یادآوری می‌فرستم."
    ),
    ("reminder.day_before",): " یک روز پیش از نوبت یادآوری می‌فرستم.",
    ("reminder.hour_before",): " یک ساعت پیش از نوبت یادآوری می‌فرستم.",
}
BOOK_ALREADY_DONE = "این نوبت پیش‌تر ثبت شده بود؛ نوبت دوباره‌ای ساخته نشد. 👇"
BOOK_SLOT_TAKEN = "😕 این زمان همین حالا پر شد. زمان‌های آزاد دیگر:"
BOOK_NOT_BOOKABLE = "این زمان دیگر قابل رزرو نیست. لطفاً روز دیگری را انتخاب کنید."
BOOK_DUPLICATE_OWN = (
    "شما برای این کد ملی یک نوبت فعال «{service}» با کد رهگیری {code} دارید. "
    "برای هر خدمت یک نوبت فعال ممکن است؛ می‌توانید آن را در /mybookings لغو یا جابه‌جا کنید."
)
# Another person's booking: nothing of it is shown; its holder manages it from their own chat.
BOOK_DUPLICATE_OTHER = (
    "برای این کد ملی هم‌اکنون یک نوبت فعال «{service}» ثبت شده است و برای هر خدمت "
    "یک نوبت فعال ممکن است. صاحب آن نوبت می‌تواند آن را از همان گفت‌وگویی که در آن "
    "نوبت گرفته است ببیند، لغو یا جابه‌جا کند."
)
BOOK_NATIONAL_CODE_ANOTHER = (
    "اگر نوبت برای کس دیگری است، کد ملی او را بفرستید؛ وگرنه «انصراف» را بزنید."
)
BOOK_USER_LIMIT = (
    "شما {limit} نوبت فعال دارید که بیشترین تعداد مجاز است. "
    "برای نوبت تازه، یکی را در /mybookings لغو کنید."
)
BOOK_ESSENTIAL_ONLY = (
    "⚠️ این روزها به‌دلیل شرایط ویژه فقط خدمات ضروری نوبت‌دهی می‌شوند و «{service}» جزو آن‌ها نیست. 🙏"
)
BOOK_ESSENTIAL_ONLINE = "می‌توانید این کار را اینترنتی انجام دهید: {name} — {url}"
BOOK_ESSENTIAL_ASK = (
    "برای پرسیدن اینکه این کار این روزها چگونه انجام می‌شود، با نزدیک‌ترین دفتر {networks} "
    "تماس بگیرید؛ نشانی و تلفن دفترها را با دکمهٔ «📍 نزدیک‌ترین دفتر» ببینید."
)
BOOK_ESSENTIAL_ASK_OR = " یا "
BOOK_NOT_OFFERED = "این دفتر دیگر «{service}» را ارائه نمی‌دهد. دفتر دیگری را انتخاب کنید."
BOOK_STALE = "این دکمه مربوط به گفت‌وگوی قبلی است و دیگر معتبر نیست. از منو دوباره شروع کنید."

# --- My bookings -----------------------------------------------------------------------------
MY_NONE = "نوبت فعالی ندارید. برای گرفتن نوبت، «📅 گرفتن نوبت» را بزنید."
MY_ITEM = "🗂 {service}\n🏢 {office}\n📅 {day} ساعت {time}\n🔢 کد رهگیری: {code}\nوضعیت: {status}"
MY_CANCEL = "✖️ لغو نوبت"
MY_RESCHEDULE = "🔁 تغییر زمان"
MY_CANCEL_SURE = "آیا نوبت «{service}» در {day} ساعت {time} لغو شود؟"
MY_CANCEL_YES = "بله، لغو شود"
MY_CANCEL_NO = "نه، بماند"
MY_CANCELLED = "نوبت {code} لغو شد و زمان آن برای دیگران آزاد شد."
MY_KEPT = "باشه، نوبت سر جایش ماند."
MY_TOO_LATE = (
    "کمتر از {minutes} دقیقه به نوبت مانده و دیگر نمی‌توان آن را لغو یا جابه‌جا کرد. "
    "اگر نمی‌توانید بروید، با دفتر تماس بگیرید: {phone}"
)
MY_RESCHEDULE_LIMIT = (
    "این نوبت {limit} بار جابه‌جا شده که بیشترین تعداد مجاز است. "
    "می‌توانید آن را لغو کنید و نوبت تازه بگیرید."
)
MY_RESCHEDULE_PICK_DAY = "🔁 زمان تازه برای «{service}» در «{office}» — روز را انتخاب کنید:"
MY_RESCHEDULED = "🔁 زمان نوبت {code} تغییر کرد: {day} ساعت {time}"
MY_NOT_ACTIVE = "این نوبت دیگر فعال نیست."
ON_MY_WAY = "🚶 در راهم"
ON_MY_WAY_NOTED = "👍 ثبت شد که در راه هستید. موفق باشید!"

# --- Tracking --------------------------------------------------------------------------------
TRACK_HEADER = (
    "🔢 پیگیری {code}\n🧾 {service}\n🏢 {office}\n📅 {day} ساعت {time}\n\nوضعیت: {status}"
)
TRACK_HISTORY = "تاریخچه:"
TRACK_LINE = "• {status} — {when}"
TRACK_LINE_NOTE = "• {status} — {when} ({note})"
TRACK_UNKNOWN = (
    "کد رهگیری {code} پیدا نشد. 🙏 کد را از پیامی که هنگام گرفتن نوبت دریافت کردید دوباره "
    "بررسی کنید؛ نوبت‌های فعال خود را هم در /mybookings می‌بینید."
)
TRACK_SLOW_DOWN = (
    "کدهای زیادی را امتحان کرده‌اید که پیدا نشدند. لطفاً {minutes} دقیقهٔ دیگر دوباره امتحان "
    "کنید، یا نوبت‌های خود را در /mybookings ببینید."
)
TRACK_BUTTON = "🔢 پیگیری"
STATUS_NAMES = {
    "booked": "نوبت ثبت شد",
    "confirmed": "دفتر نوبت را تأیید کرد",
    "checked_in": "در دفتر حاضر شدید",
    "done": "انجام شد",
    "ready_for_pickup": "آمادهٔ تحویل است",
    "needs_documents": "مدارک بیشتری لازم است",
    "cancelled": "لغو شد",
    "no_show": "مراجعه نکردید",
}
RESCHEDULED_NOTE = "زمان تغییر کرد"
ON_MY_WAY_NOTE = "شهروند در راه است"

# --- Messages the bot sends on its own -------------------------------------------------------
REMIND_DAY_BEFORE = (
    "⏰ یادآوری: {day} ساعت {time} نوبت «{service}» در «{office}» دارید.\n"
    "📍 {address}\n🔢 کد رهگیری: {code}\n\n{documents}"
)
REMIND_HOUR_BEFORE = (
    "⏰ یک ساعت دیگر، ساعت {time}، نوبت «{service}» در «{office}» دارید.\n📍 {address}\n"
    "🔢 کد رهگیری: {code}"
)
STATUS_CHANGED = "🔔 درخواست {code} ({service}): {status}"
STATUS_CHANGED_NOTE = "\n📝 {note}"
STAFF_CANCELLED_NOTICE = (
    "❌ «{office}» نوبت {code} ({service}، {day} ساعت {time}) را لغو کرد.\n📝 دلیل: {reason}\n"
    "اگر هنوز این کار را دارید، با دکمهٔ زیر دوباره نوبت بگیرید."
)
OFFICE_CANCEL_NO_REASON = "دفتر دلیلی ننوشت"
BOOK_AGAIN = "🔁 نوبت دوباره"
OFFICE_CLOSED_NOTICE = (
    "⚠️ «{office}» در زمان نوبت شما ({day} ساعت {time}) بسته است: {reason}\n"
    "نوبت {code} ({service}) سر جایش است اما دفتر آن زمان کار نمی‌کند؛ لطفاً زمان را تغییر "
    "دهید یا نوبت را لغو کنید (در حد مجاز شما حساب نمی‌شود)."
)

# --- Counter staff (in the office's group) ---------------------------------------------------
STAFF_LINKED = (
    "✅ این گفت‌وگو به «{office}» وصل شد. نوبت‌های تازه، لغوها و جابه‌جایی‌ها اینجا می‌آید و "
    "با دکمه‌ها وضعیت را تغییر می‌دهید. مدیران گروه هم می‌توانند دکمه‌ها را بزنند. "
    "/agenda فهرست نوبت‌های امروز را نشان می‌دهد."
)
STAFF_LINK_REFUSED = (
    "این کد معتبر نیست، پیش‌تر به کار رفته یا منقضی شده است. از پشتیبانی کد تازه بخواهید."
)
STAFF_LINK_USAGE = "کد اتصال را بعد از دستور بنویسید؛ مثلاً /link ABCDE-23456"
STAFF_NOT_LINKED = "این گفت‌وگو به هیچ دفتری وصل نیست. برای اتصال /link و کد اتصال را بفرستید."
STAFF_ONLY = "فقط کارکنان همین دفتر می‌توانند این کار را انجام دهند."
STAFF_ALREADY = "این کار پیش‌تر انجام شده است؛ وضعیت فعلی: {status}"
STAFF_ON_MY_WAY = "🚶 صاحب نوبت {code} ({service}، ساعت {time}) در راه است."
STAFF_DOCUMENTS = "مدارکی که بررسی کنید:"
STAFF_CONFIRM = "✅ تأیید"
STAFF_ARRIVED = "🙋 حاضر شد"
STAFF_DONE = "🏁 انجام شد"
STAFF_NO_SHOW = "🚫 نیامد"
STAFF_NEEDS_DOCS = "📎 مدرک کم است"
STAFF_READY = "📦 آمادهٔ تحویل"
STAFF_CANCEL = "✖️ لغو…"
STAFF_CANCEL_WHY = "دلیل لغو:"
STAFF_CANCEL_REASONS = (
    "تعطیلی پیش‌بینی‌نشدهٔ دفتر",
    "این خدمت فعلاً ارائه نمی‌شود",
    "به درخواست شهروند",
    "نوبت تکراری",
)
STAFF_NEEDS_DOCS_NOTE = "مدارک بیشتری لازم است؛ لطفاً با دفتر تماس بگیرید."
STAFF_MISSING_DOCS_NOTE = "این مدارک کم است: {documents}. لطفاً آن‌ها را به دفتر بیاورید."
STAFF_DOCS_WHICH = "کدام مدرک کم است؟ یک یا چند مدرک را بزنید و بعد «ثبت»."
STAFF_DOC_CHOSEN = "☑️ {name}"
STAFF_DOC_NOT_CHOSEN = "▫️ {name}"
STAFF_DOCS_SUBMIT = "📎 ثبت مدرک کم"
STAFF_DOCS_NONE_CHOSEN = "دست‌کم یک مدرک را انتخاب کنید."
STAFF_BACK = "↩️ بازگشت"
STAFF_BEFORE_ITS_DAY = (
    "این نوبت برای {day} ساعت {time} است؛ «حاضر شد» و «انجام شد» از روز نوبت ثبت می‌شود."
)
STAFF_AFTER_ITS_DAY = "روز این نوبت ({day}) گذشته است؛ اگر شهروند نیامد «نیامد» را بزنید."
STAFF_SLOT_NOT_OVER = "زمان این نوبت تا ساعت {end} است؛ «نیامد» را پس از آن بزنید."
# The booking's card in the office's chat: its current time, status and what happened.
STAFF_CARD_NEW = "🆕 نوبت تازه — {service}"
STAFF_CARD_HEAD = "🗂 نوبت — {service}"
STAFF_CARD_CANCELLED = "❌ نوبت لغو شده — {service}"
STAFF_CARD_BODY = (
    "📅 {day} ساعت {time}\n🔢 {code}\n👤 {name}\n🪪 {national_code} · 📱 {mobile}\n"
    "📌 وضعیت: {status}"
)
STAFF_STATUS_NAMES = {
    "booked": "در انتظار مراجعه",
    "confirmed": "تأییدشده",
    "checked_in": "شهروند در دفتر است",
    "done": "انجام شد",
    "ready_for_pickup": "آمادهٔ تحویل",
    "needs_documents": "مدرک کم است",
    "cancelled": "لغو شد",
    "no_show": "شهروند نیامد",
}
STAFF_HISTORY = {
    "booked": "↩️ دوباره در انتظار مراجعه",
    "confirmed": "✅ نوبت تأیید شد",
    "checked_in": "✅ حضور شهروند در دفتر ثبت شد",
    "done": "🏁 کار شهروند انجام شد",
    "ready_for_pickup": "📦 آمادهٔ تحویل شد",
    "needs_documents": "📎 مدرک کم اعلام شد",
    "cancelled": "❌ نوبت لغو شد",
    "no_show": "🚫 نیامدن شهروند ثبت شد",
}
STAFF_HISTORY_MOVED = "🔁 زمان نوبت تغییر کرد"
STAFF_HISTORY_ON_MY_WAY = "🚶 شهروند در راه است"
STAFF_HISTORY_LINE = "{what} — {who}، {when}"
STAFF_HISTORY_NOTE = "{what} ({note}) — {who}، {when}"
STAFF_HISTORY_TODAY = "ساعت {time}"
STAFF_HISTORY_DAY = "{day} ساعت {time}"
STAFF_BY_CLERK = "توسط {name}"
STAFF_BY_STAFF = "توسط کارکنان دفتر"
STAFF_BY_SYSTEM = "از سامانهٔ دفتر"
STAFF_BY_CITIZEN = "توسط شهروند"
STAFF_BY_OPERATOR = "توسط پشتیبانی"
AGENDA_HEADER = "📋 نوبت‌های «{office}» — {day}"
AGENDA_LINE = "{time} — {service} — {code} — {name} ({national_code}) — {status}"
AGENDA_EMPTY = "📋 «{office}» برای {day} نوبتی ندارد."
AGENDA_BAD_DATE = "تاریخ را نفهمیدم؛ مثلاً /agenda فردا یا /agenda ۱۴۰۵/۹/۱۰"
STAFF_DIGEST = "📋 {count} خبر تازه برای دفتر (برای رعایت محدودیت تلگرام یکجا فرستاده شد):"
STAFF_DIGEST_NEW = "🆕 {day} {time} — {service} — {code} — {name}"
STAFF_DIGEST_RESCHEDULED = "🔁 {day} {time} — {service} — {code} — {name}"
STAFF_DIGEST_CANCELLED = "❌ لغو: {day} {time} — {service} — {code}"
STAFF_DIGEST_ON_MY_WAY = "🚶 در راه: {time} — {code}"
STAFF_DIGEST_FOOTER = "برای دیدن هر نوبت با دکمه‌هایش، کد آن را در زیر بزنید."
STAFF_DIGEST_STATUS = "🔔 {code}: {status}"

# --- After the visit: rating -----------------------------------------------------------------
RATE_ASK = (
    "🙏 مراجعهٔ شما به «{office}» برای «{service}» ({day}) چطور بود؟\n"
    "از ۱ تا ۵ ستاره بدهید؛ نظر شما به ناظران دفاتر می‌رسد. اگر نمی‌خواهید، «رد شدن» را بزنید."
)
RATE_STAR = "{stars}⭐"
RATE_SKIP = "رد شدن"
RATE_SKIPPED = "باشه، دیگر دربارهٔ این مراجعه نمی‌پرسم. 🌷"
RATE_STARS_SAVED = "ممنون! امتیاز {stars} از ۵ ثبت شد."
RATE_ASK_WAIT = "چقدر در دفتر منتظر ماندید تا کارتان شروع شود؟"
WAIT_BAND_LABELS = ("کمتر از ۱۵ دقیقه", "۱۵ تا ۳۰ دقیقه", "۳۰ تا ۶۰ دقیقه", "بیش از یک ساعت")
RATE_ASK_COMMENT = (
    "اگر نکته‌ای دربارهٔ این مراجعه دارید، در یک پیام بنویسید (حداکثر {limit} نویسه)؛ "
    "وگرنه «رد شدن» را بزنید."
)
RATE_COMMENT_TOO_LONG = "نظرتان {length} نویسه است؛ لطفاً کوتاه‌تر، حداکثر {limit} نویسه بنویسید."
RATE_THANKS = "نظرتان ثبت شد. ممنون که وقت گذاشتید! 🌷"
RATE_ALREADY = "نظر شما دربارهٔ این مراجعه پیش‌تر ثبت شده است؛ ممنون! 🌷"
RATE_NOT_YOURS = "این نظرسنجی مربوط به نوبت دیگری است."
RATE_LOW = (
    "متأسفیم که راضی نبودید. اگر دفتر تخلفی کرده (مثلاً بیش از تعرفه پول گرفته یا مدارک اضافه "
    "خواسته)، می‌توانید شکایت ثبت کنید تا ناظر دفاتر رسیدگی کند."
)
RATE_COMPLAIN = "📝 شکایت از این دفتر"

# --- Complaints (the citizen) ----------------------------------------------------------------
COMPLAINT_START = (
    "📝 ثبت شکایت از یک دفتر\n"
    "شکایت شما به ناظر دفاتر همان منطقه می‌رسد و هر خبری شد همین‌جا به شما می‌گوییم.\n\n"
)
COMPLAINT_PICK_VISIT = (
    "شکایت دربارهٔ کدام دفتر است؟ یکی از نوبت‌های اخیرتان را بزنید، یا نام دفتر را بنویسید "
    "(مثلاً «پیشخوان شماره ۲۸۳ تبریز»)، یا نزدیک دفتر موقعیت خود را بفرستید."
)
COMPLAINT_ASK_OFFICE = (
    "شکایت دربارهٔ کدام دفتر است؟ نام دفتر را بنویسید (مثلاً «پیشخوان شماره ۲۸۳ تبریز» یا "
    "«پلیس +۱۰ کد ۱۰۱»)، یا نزدیک دفتر موقعیت خود را بفرستید."
)
COMPLAINT_VISIT_BUTTON = "{office} — {service}، {day}"
COMPLAINT_WHICH_OFFICE = "کدام‌یک از این دفترها؟ 👇"
COMPLAINT_WHICH_OFFICE_NEAR = "دفترهای نزدیک موقعیتی که فرستادید؛ کدام‌یک؟ 👇"
COMPLAINT_OFFICE_NOT_FOUND = (
    "دفتری با «{text}» پیدا نکردم. 🙏 نام دفتر را همان‌طور که روی تابلو یا رسید آمده بنویسید، "
    "نام شهر را بنویسید، یا نزدیک دفتر موقعیت خود را بفرستید."
)
COMPLAINT_OFFICE_GONE = "این دفتر دیگر در فهرست نیست. لطفاً دفتر را دوباره انتخاب کنید."
COMPLAINT_ASK_KIND = "شکایت از «{office}» — چه مشکلی پیش آمد؟ 👇"
COMPLAINT_KINDS = {
    "overcharged": "💰 بیش از تعرفهٔ رسمی پول گرفتند",
    "extra_documents": "📎 مدارکی خارج از فهرست خواستند",
    "closed_in_hours": "🚪 در ساعت کاری بسته بود",
    "manager_absent": "👤 مدیر دفتر حضور نداشت",
    "service_refused": "🚫 خدمتی را که ارائه می‌دهد انجام نداد",
    "behaviour": "😠 برخورد نامناسب",
    "other": "✏️ موارد دیگر",
}
COMPLAINT_ASK_DESCRIPTION = (
    "{kind}\n"
    "لطفاً ماجرا را در یک پیام بنویسید: چه روزی، برای چه کاری، چه مبلغی و … "
    "(حداکثر {limit} نویسه). نیازی به نوشتن کد ملی یا شماره همراه نیست."
)
COMPLAINT_DESCRIPTION_EMPTY = "توضیحی نفرستادید. 🙏 لطفاً در چند کلمه بنویسید چه اتفاقی افتاد."
COMPLAINT_DESCRIPTION_TOO_LONG = (
    "توضیح شما {length} نویسه است؛ لطفاً کوتاه‌تر بنویسید، حداکثر {limit} نویسه."
)
COMPLAINT_ASK_PHOTO = "اگر رسید یا فاکتور دارید، عکس آن را بفرستید؛ وگرنه «بدون عکس» را بزنید."
COMPLAINT_NO_PHOTO = "بدون عکس"
COMPLAINT_PHOTO_RECEIVED = "✔️ عکس رسید دریافت شد."
COMPLAINT_SUMMARY = (
    "لطفاً بررسی و تأیید کنید:\n\n"
    "🏢 دفتر: {office}\n"
    "⚠️ موضوع: {kind}\n"
    "📝 توضیح: {description}\n"
    "🧾 عکس رسید: {photo}"
)
COMPLAINT_PHOTO_YES = "دارد"
COMPLAINT_PHOTO_NO = "ندارد"
COMPLAINT_CONFIRM = "✅ ثبت شکایت"
COMPLAINT_CANCEL = "✖️ انصراف"
COMPLAINT_FILED = (
    "✅ شکایت شما ثبت شد.\n\n"
    "🔢 کد پیگیری شکایت: {code}\n"
    "🏢 {office}\n\n"
    "شکایت برای ناظر دفاتر فرستاده شد. هر خبری شد همین‌جا می‌گوییم؛ وضعیت را هم با "
    "/track {code} می‌بینید."
)
COMPLAINT_ALREADY_FILED = "این شکایت پیش‌تر ثبت شده بود؛ کد پیگیری: {code}"
COMPLAINT_DROPPED = "باشه، شکایت ثبت نشد."
COMPLAINT_STALE = (
    "این دکمه مربوط به شکایتی است که دیگر در جریان نیست. برای ثبت شکایت، از منو "
    "«ثبت شکایت» را بزنید."
)
COMPLAINT_TRACK_HEADER = "🔢 پیگیری شکایت {code}\n🏢 {office}\n⚠️ {kind}\n\nوضعیت: {status}"
COMPLAINT_STATUS_NAMES = {
    "open": "ثبت شد؛ در انتظار بررسی ناظر",
    "acknowledged": "ناظر در حال بررسی است",
    "resolved": "رسیدگی شد",
    "rejected": "رد شد",
}
COMPLAINT_STEP_NAMES = {
    "filed": "شکایت ثبت شد",
    "acknowledged": "ناظر شکایت را دید و بررسی می‌کند",
    "replied": "پاسخ ناظر",
    "resolved": "رسیدگی شد",
    "rejected": "رد شد",
}
COMPLAINT_NEWS = "🔔 شکایت {code} ({office}): {step}"
COMPLAINT_NEWS_NOTE = "\n📝 {note}"

# --- Supervisors (in their chat) -------------------------------------------------------------
SUPERVISE_USAGE = "کد اتصال را بعد از دستور بنویسید؛ مثلاً /supervise ABCDE-23456"
SUPERVISE_REFUSED = (
    "این کد معتبر نیست، پیش‌تر به کار رفته یا منقضی شده است. از پشتیبانی کد تازه بخواهید."
)
SUPERVISE_LINKED = (
    "✅ این گفت‌وگو ناظر {scope} شد. شکایت‌های تازه دربارهٔ این دفاتر اینجا می‌آید و با "
    "دکمه‌ها رسیدگی می‌کنید؛ مدیران گروه هم می‌توانند دکمه‌ها را بزنند. "
    "/open شکایت‌هایی را که هنوز منتظر رسیدگی‌اند فهرست می‌کند و /stats آمار دفاتر را "
    "نشان می‌دهد."
)
SCOPE_OFFICE = "دفتر «{office}»"
SCOPE_COUNTY = "دفاتر شهرستان {county} (استان {province})"
SCOPE_PROVINCE = "دفاتر استان {province}"
SCOPE_NETWORK = "دفاتر «{network}»"
SUPERVISE_NOT_LINKED = (
    "این گفت‌وگو ناظر هیچ دفتری نیست. برای اتصال، /supervise و کد اتصال را بفرستید."
)
SUPERVISE_ONLY = "فقط ناظرانِ همین گفت‌وگو می‌توانند این کار را انجام دهند."
SUPERVISE_OUT_OF_SCOPE = "این شکایت در محدودهٔ نظارت این گفت‌وگو نیست."
SUPERVISE_ALREADY = "این کار پیش‌تر انجام شده است؛ وضعیت فعلی: {status}"
SUPERVISE_NEW = (
    "📣 شکایت تازه {code}\n🏢 {office} ({office_code})\n⚠️ {kind}\n🕒 {when}\n👤 {citizen}"
    "{booking}{receipt}\n\n📝 {description}"
)
SUPERVISE_BOOKING = "\n🗂 نوبت {booking_code} — {service} · 📱 {mobile}"
SUPERVISE_RECEIPT = "\n🧾 عکس رسید دارد"
SUPERVISE_CARD = (
    "🗂 شکایت {code} — وضعیت: {status}\n🏢 {office} ({office_code})\n⚠️ {kind}\n🕒 {when}\n"
    "👤 {citizen}{booking}{receipt}\n\n📝 {description}"
)
SUPERVISE_ACK = "👀 بررسی می‌کنم"
SUPERVISE_REPLY = "💬 پاسخ به شهروند"
SUPERVISE_RESOLVE = "✅ رسیدگی شد"
SUPERVISE_REJECT = "✖️ رد…"
SUPERVISE_PHOTO = "🧾 عکس رسید"
SUPERVISE_REJECT_WHY = "دلیل رد شکایت:"
SUPERVISE_REJECT_REASONS = (
    "مستندات کافی نیست",
    "تخلفی از دفتر دیده نشد",
    "خارج از حوزهٔ نظارت بر دفاتر است",
    "شکایت تکراری است",
)
SUPERVISE_STATUS_NAMES = {
    "open": "باز",
    "acknowledged": "در حال بررسی",
    "replied": "پاسخ داده شد",
    "resolved": "رسیدگی شد",
    "rejected": "رد شد",
}
SUPERVISE_DONE_BY = "✔️ {status} — {who}، {when}"
SUPERVISE_ASK_REPLY = (
    "✍️ {who}، پاسخ خود به شهروند دربارهٔ شکایت {code} را در پاسخ (Reply) به همین پیام "
    "بنویسید (حداکثر {limit} نویسه)."
)
SUPERVISE_REPLY_SENT = "✔️ پاسخ شما برای شهروند فرستاده شد ({code})."
SUPERVISE_REPLY_EMPTY = "پاسخ خالی است؛ لطفاً متن پاسخ را بنویسید."
SUPERVISE_REPLY_TOO_LONG = "پاسخ {length} نویسه است؛ لطفاً کوتاه‌تر، حداکثر {limit} نویسه بنویسید."
SUPERVISE_NO_RECEIPT = "این شکایت عکس رسید ندارد."
# The complainant sent the photo on another messenger: its file lives only there.
SUPERVISE_RECEIPT_ELSEWHERE = "عکس رسید در {messenger} فرستاده شده و فقط همان‌جا دیده می‌شود."
STATS_HEADER = "📊 آمار {days} روز گذشته — {scope}"
STATS_LINE = (
    "🏢 {office} ({code})\n"
    "   نوبت: {bookings} · نیامده: {no_show_rate} · امتیاز: {rating} ({ratings} نظر) · "
    "شکایت: {complaints} ({open} باز)"
)
STATS_NO_VALUE = "—"
STATS_QUIET = "{count} دفتر دیگر این محدوده در این مدت نوبت، نظر یا شکایتی نداشتند."
STATS_EMPTY = "در {days} روز گذشته هیچ دفتری در این محدوده نوبت، نظر یا شکایتی نداشت."
STATS_MORE = "… و {count} دفتر دیگر؛ فهرست کامل را در گزارش CSV از پشتیبانی بخواهید."
STATS_USAGE = "تعداد روزها را با عدد بنویسید؛ مثلاً /stats ۳۰ (از ۱ تا {max} روز)."

# /open (or /complaints): what is still waiting for a supervisor
OPEN_NOT_LINKED = (
    "فهرست شکایت‌های باز فقط در گفت‌وگوی ناظران دفاتر نشان داده می‌شود و این گفت‌وگو ناظر "
    "هیچ دفتری نیست. ناظران گفت‌وگوی خود را با /supervise و کد اتصالی که از پشتیبانی "
    "می‌گیرند وصل می‌کنند."
)
OPEN_ONLY = (
    "فهرست شکایت‌ها را فقط ناظرانِ این گفت‌وگو می‌بینند: کسی که آن را با کد اتصال وصل کرده "
    "و مدیران گروه."
)
OPEN_HEADER = "📋 شکایت‌های باز — {scope}\n{total} شکایت منتظر رسیدگی است؛ قدیمی‌ترین اول:"
OPEN_HEADER_NEXT = "📋 ادامهٔ شکایت‌های باز ({first} تا {last} از {total}):"
OPEN_LINE = "{number}. {code} — {office} ({office_code})\n   {kind} · {status} · 🕒 {ago}"
OPEN_FOOTER = "برای دیدن هر شکایت و رسیدگی به آن، دکمهٔ کد آن را بزنید."
OPEN_MORE = "بیشتر"
OPEN_NONE = "🌿 هیچ شکایت بازی در {scope} نیست؛ کاری منتظر شما نمانده است. خسته نباشید!"
OPEN_NO_MORE = "🌿 پس از این‌ها شکایت باز دیگری نمانده است."
AGO_NOW = "همین حالا"
AGO_MINUTES = "{minutes} دقیقه پیش"
AGO_HOURS = "{hours} ساعت پیش"
AGO_DAYS = "{days} روز پیش ({date})"

# The messengers, as citizens and clerks call them.
MESSENGER_NAMES = {"telegram": "تلگرام", "bale": "بله"}
