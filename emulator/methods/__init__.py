"""The Bot API methods the emulator implements, grouped by what they do."""
