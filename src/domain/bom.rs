//! The UTF-8 byte-order mark. Notepad and PowerShell 5 put one at the start of files they
//! save, and a plugin file saved with one puts it before a store's answers; it is never part of
//! what woolink reads, so every reader drops it here.

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `bytes` without a leading byte-order mark.
pub fn strip(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

/// `text` without a leading byte-order mark.
pub fn strip_str(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Whether `bytes` start with a byte-order mark.
pub fn starts(bytes: &[u8]) -> bool {
    bytes.starts_with(BOM)
}
