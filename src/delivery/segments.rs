//! How many SMS a text message takes (3GPP TS 23.038 and 23.040).
//!
//! A text written only in the GSM 7-bit alphabet holds 160 characters in one SMS (characters
//! of the extension table, such as `€` or `[`, count twice); longer ones are split into parts
//! of 153. One character outside that alphabet (Spanish `á`, `í`, `ó`, `ú`, an emoji) sends the
//! whole text as UCS-2: 70 UTF-16 units in one SMS, parts of 67. Providers join the parts on
//! the phone, but every part is billed. The English code text stays in GSM-7 (≤ 160 with an
//! organisation name of up to 40 characters); the Spanish one says "Código", so it is UCS-2
//! and fits one SMS while the organisation name has at most 14 characters (docs/operations.md).

/// The GSM 7-bit default alphabet (one septet each).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                          ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";

/// The GSM 7-bit extension table (an escape septet plus one: two septets each).
const GSM7_EXTENSION: &str = "\u{0C}^{}\\[~]|€";

/// Characters in one single SMS, GSM-7.
pub const GSM7_SINGLE: usize = 160;
/// Characters in one part of a split SMS, GSM-7.
const GSM7_PART: usize = 153;
/// UTF-16 units in one single SMS, UCS-2.
pub const UCS2_SINGLE: usize = 70;
/// UTF-16 units in one part of a split SMS, UCS-2.
const UCS2_PART: usize = 67;

/// Septets `text` takes in GSM-7, or `None` when it needs UCS-2.
pub fn gsm7_septets(text: &str) -> Option<usize> {
    text.chars().try_fold(0usize, |septets, c| {
        if GSM7_BASIC.contains(c) {
            Some(septets + 1)
        } else if GSM7_EXTENSION.contains(c) {
            Some(septets + 2)
        } else {
            None
        }
    })
}

/// How many SMS `text` is sent as (0 for an empty text).
pub fn sms_segments(text: &str) -> usize {
    let (length, single, part) = match gsm7_septets(text) {
        Some(septets) => (septets, GSM7_SINGLE, GSM7_PART),
        None => (text.encode_utf16().count(), UCS2_SINGLE, UCS2_PART),
    };
    if length <= single {
        usize::from(length > 0)
    } else {
        length.div_ceil(part)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm7_counts_septets_and_extension_characters_twice() {
        assert_eq!(gsm7_septets("SmartMLS code: 482913."), Some(22));
        assert_eq!(gsm7_septets("5 €"), Some(4));
        assert_eq!(gsm7_septets("Código"), None, "ó is not GSM-7");
        assert_eq!(gsm7_septets("Año, él, ¿sí?"), None, "í is not GSM-7");
        assert_eq!(gsm7_septets("Año, él, ¿qué?"), Some(14));
    }

    #[test]
    fn segments_follow_the_single_and_part_sizes() {
        assert_eq!(sms_segments(""), 0);
        assert_eq!(sms_segments(&"a".repeat(160)), 1);
        assert_eq!(sms_segments(&"a".repeat(161)), 2);
        assert_eq!(sms_segments(&"a".repeat(306)), 2);
        assert_eq!(sms_segments(&"a".repeat(307)), 3);
        assert_eq!(sms_segments(&format!("ó{}", "a".repeat(69))), 1);
        assert_eq!(sms_segments(&format!("ó{}", "a".repeat(70))), 2);
        assert_eq!(sms_segments(&"€".repeat(80)), 1);
        assert_eq!(sms_segments(&"€".repeat(81)), 2);
    }
}
