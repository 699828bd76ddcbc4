//! UTF-7 (RFC 2152) decoding. Office sends `X-WOPI-RequestedName`, `X-WOPI-SuggestedTarget` and
//! `X-WOPI-RelativeTarget` UTF-7 encoded, so that any file name fits in an ASCII header.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;

/// Decodes a UTF-7 string; `None` if it is malformed (bad base64, odd UTF-16, lone surrogate).
pub fn decode_utf7(input: &str) -> Option<String> {
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(pos) = rest.find('+') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos + 1..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/'))
            .unwrap_or(rest.len());
        let (b64, after) = rest.split_at(end);
        if b64.is_empty() {
            // "+-" is a literal plus; a '+' followed by anything else non-base64 is too.
            out.push('+');
        } else {
            let bytes = decode_partial(b64)?;
            if bytes.len() % 2 != 0 {
                return None;
            }
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            out.push_str(&String::from_utf16(&units).ok()?);
        }
        rest = after.strip_prefix('-').unwrap_or(after);
    }
    out.push_str(rest);
    Some(out)
}

/// Base64 without padding where trailing bits that do not make a whole byte are dropped.
fn decode_partial(b64: &str) -> Option<Vec<u8>> {
    let usable = b64.len() - b64.len() % 4;
    let mut bytes = STANDARD_NO_PAD.decode(&b64[..usable]).ok()?;
    let tail = &b64[usable..];
    if tail.len() >= 2 {
        // Pad to a whole quantum with 'A's and keep only the bytes the tail really carries.
        let mut padded = tail.to_string();
        while padded.len() < 4 {
            padded.push('A');
        }
        let decoded = STANDARD_NO_PAD.decode(&padded).ok()?;
        let keep = tail.len() * 6 / 8;
        bytes.extend_from_slice(&decoded[..keep]);
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_validators_encodings() {
        assert_eq!(
            decode_utf7("madeup+AF8-name.wopitestx").as_deref(),
            Some("madeup_name.wopitestx")
        );
        assert_eq!(decode_utf7("plain name").as_deref(), Some("plain name"));
        assert_eq!(decode_utf7("a+-b").as_deref(), Some("a+b"));
        assert_eq!(
            decode_utf7("Hi Mom -+Jjo--!").as_deref(),
            Some("Hi Mom -\u{263A}-!")
        );
        assert_eq!(decode_utf7("+ZeVnLIqe-").as_deref(), Some("日本語"));
    }

    #[test]
    fn malformed_input_is_refused() {
        assert_eq!(decode_utf7("+2D3-"), None, "lone surrogate");
    }
}
