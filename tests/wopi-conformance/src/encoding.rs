//! String encodings that reproduce what the official (.NET) validator puts on the wire.
//!
//! Each function names the .NET routine it mirrors; the quirks are deliberate.

/// `UrlHelper.UrlKeyValueEncode`: percent-encodes the UTF-8 bytes of every character except
/// `[A-Za-z0-9]` (so `.`, `-`, `_`, `~` are encoded too), with upper-case hex digits.
pub fn url_key_value_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for ch in value.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch);
        } else {
            let mut buf = [0u8; 4];
            for byte in ch.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    out
}

/// `HttpUtility.UrlEncode(value)` (UTF-8): keeps `[A-Za-z0-9]` and `-_.!*()`, turns a space
/// into `+` and everything else into `%xx` with lower-case hex digits.
pub fn http_utility_url_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for byte in value.bytes() {
        match byte {
            b'a'..=b'z'
            | b'A'..=b'Z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'!'
            | b'*'
            | b'('
            | b')' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02x}")),
        }
    }
    out
}

/// `HttpUtility.UrlDecode(value)` (UTF-8): `+` becomes a space, `%xx` and `%uxxxx` are decoded;
/// malformed escapes are kept verbatim and invalid UTF-8 is replaced.
pub fn http_utility_url_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if byte == b'+' {
            out.push(b' ');
            i += 1;
            continue;
        }
        if byte == b'%' {
            if let Some(code) = bytes
                .get(i + 1..i + 6)
                .filter(|s| s[0] == b'u' || s[0] == b'U')
                .and_then(|s| hex_value(&s[1..]))
            {
                let ch = char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER);
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                i += 6;
                continue;
            }
            if let Some(code) = bytes.get(i + 1..i + 3).and_then(hex_value) {
                // two hex digits always fit in a byte
                out.push(u8::try_from(code).unwrap_or(b'?'));
                i += 3;
                continue;
            }
        }
        out.push(byte);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(digits: &[u8]) -> Option<u32> {
    let mut value = 0u32;
    for d in digits {
        value = value * 16 + char::from(*d).to_digit(16)?;
    }
    Some(value)
}

const UTF7_BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Characters .NET's `Encoding.UTF7` writes directly (RFC 2152 "Set D" plus space, tab, CR,
/// LF). It is created with `allowOptionals = false`, so the optional direct characters
/// `!"#$%&*;<=>@[]^_{|}` and backquote are base64-encoded like everything else.
fn utf7_direct(unit: u16) -> bool {
    matches!(unit, 0x09 | 0x0A | 0x0D | 0x20)
        || u8::try_from(unit).is_ok_and(|b| b.is_ascii_alphanumeric() || b"'(),-./:?".contains(&b))
}

/// `Encoding.UTF7.GetBytes(value)` read back as ASCII text, reproducing .NET's encoder: a
/// shifted run is always closed with `-`, a `+` outside a run is written `+-`, and text is
/// encoded as UTF-16 code units.
pub fn utf7_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 2);
    // Number of pending bits in `bits`, or None when not inside a base64 run.
    let mut bit_count: Option<u32> = None;
    let mut bits: u32 = 0;
    let base64 = |index: u32| char::from(UTF7_BASE64[(index & 0x3F) as usize]);
    for unit in value.encode_utf16() {
        if utf7_direct(unit) {
            if let Some(count) = bit_count {
                if count > 0 {
                    out.push(base64(bits << (6 - count)));
                }
                out.push('-');
                bit_count = None;
            }
            out.push(char::from(u8::try_from(unit).unwrap_or(b'?')));
        } else if bit_count.is_none() && unit == u16::from(b'+') {
            out.push_str("+-");
        } else {
            let mut count = match bit_count {
                Some(count) => count,
                None => {
                    out.push('+');
                    0
                }
            };
            bits = (bits << 16) | u32::from(unit);
            count += 16;
            while count >= 6 {
                count -= 6;
                out.push(base64(bits >> count));
            }
            // keep only the pending bits so the shift above can never overflow
            bits &= (1 << count) - 1;
            bit_count = Some(count);
        }
    }
    if let Some(count) = bit_count {
        if count > 0 {
            out.push(base64(bits << (6 - count)));
        }
        out.push('-');
    }
    out
}

/// Value of `X-WOPI-SuggestedTarget` / `X-WOPI-RelativeTarget`:
/// `Uri.UnescapeDataString(HttpUtility.UrlEncode(name, Encoding.UTF7))`, which is the UTF-7
/// text with every space turned into `+` (every other escape is undone again).
pub fn utf7_target_header(name: &str) -> String {
    utf7_encode(name).replace(' ', "+")
}

/// `UrlHelper.GetQueryParameterValue(url, name)`: finds `?name=` or `&name=` (ASCII
/// case-insensitive), takes the text up to the next `&` or `#` and URL-decodes it.
pub fn query_parameter_value(url: &str, name: &str) -> Option<String> {
    let start = find_query_parameter(url, name)?;
    let value_start = start + name.len() + 2;
    let rest = url.get(value_start..)?;
    let end = rest.find(['&', '#']).unwrap_or(rest.len());
    Some(http_utility_url_decode(&rest[..end]))
}

/// Byte index of the `?` or `&` that starts `name=` in `url` (ASCII case-insensitive).
fn find_query_parameter(url: &str, name: &str) -> Option<usize> {
    let lower = url.to_ascii_lowercase();
    let needle = name.to_ascii_lowercase();
    lower
        .find(&format!("?{needle}="))
        .or_else(|| lower.find(&format!("&{needle}=")))
}

/// `UrlHelper.AppendOrReplaceQueryParameter(url, name, value)`: replaces the value of an existing
/// parameter (keeping everything after it) or appends `name=value` before any `#fragment`; the
/// name and value are encoded with [`http_utility_url_encode`].
pub fn append_or_replace_query_parameter(url: &str, name: &str, value: &str) -> String {
    let name_enc = http_utility_url_encode(name);
    let value_enc = http_utility_url_encode(value);
    if let Some(start) = find_query_parameter(url, &name_enc) {
        let mut out = String::with_capacity(url.len() + value_enc.len());
        out.push_str(&url[..=start]);
        out.push_str(&name_enc);
        out.push('=');
        out.push_str(&value_enc);
        let after = start + name_enc.len() + 2;
        if let Some(next) = url.get(after..).and_then(|rest| rest.find(['&', '#'])) {
            out.push_str(&url[after + next..]);
        }
        return out;
    }
    let prefix = if url.contains('?') { '&' } else { '?' };
    match url.find('#') {
        None => format!("{url}{prefix}{name_enc}={value_enc}"),
        Some(hash) => format!(
            "{}{prefix}{name_enc}={value_enc}{}",
            &url[..hash],
            &url[hash..]
        ),
    }
}

/// `UriBuilder.Path += suffix`: inserts `suffix` at the end of the path, before any query or
/// fragment of `url`.
pub fn insert_path_suffix(url: &str, suffix: &str) -> String {
    // skip "scheme://" so an authority without a path is handled too
    let search_from = url.find("://").map_or(0, |i| i + 3);
    let split = url[search_from..]
        .find(['?', '#'])
        .map_or(url.len(), |i| i + search_from);
    format!("{}{}{}", &url[..split], suffix, &url[split..])
}

/// .NET `bool.ToString()`.
pub fn dotnet_bool(value: bool) -> &'static str {
    if value { "True" } else { "False" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_encoding_keeps_only_alphanumerics() {
        assert_eq!(url_key_value_encode("abcXYZ019"), "abcXYZ019");
        assert_eq!(url_key_value_encode("a.b-c_d~e"), "a%2Eb%2Dc%5Fd%7Ee");
        assert_eq!(url_key_value_encode("x y/+="), "x%20y%2F%2B%3D");
        assert_eq!(url_key_value_encode("é€😀"), "%C3%A9%E2%82%AC%F0%9F%98%80");
        assert_eq!(url_key_value_encode(""), "");
    }

    #[test]
    fn http_utility_encode_and_decode() {
        assert_eq!(http_utility_url_encode("INVALID"), "INVALID");
        assert_eq!(
            http_utility_url_encode("a b/c-_.!*()~"),
            "a+b%2fc-_.!*()%7e"
        );
        assert_eq!(
            http_utility_url_decode("a+b%2Fc%2e%u00e9%zz%"),
            "a b/c.é%zz%"
        );
    }

    #[test]
    fn utf7_matches_dotnet_examples() {
        assert_eq!(
            utf7_encode("madeup_name.wopitestx"),
            "madeup+AF8-name.wopitestx"
        );
        assert_eq!(utf7_encode("plain name.docx"), "plain name.docx");
        assert_eq!(utf7_encode("a+b"), "a+-b");
        assert_eq!(utf7_encode("Hi Mom -☺-!"), "Hi Mom -+Jjo--+ACE-");
        assert_eq!(utf7_encode("日本語"), "+ZeVnLIqe-");
        assert_eq!(utf7_encode("_"), "+AF8-");
        assert_eq!(utf7_encode("__"), "+AF8AXw-");
        // '+' inside a shifted run is base64-encoded, not written as "+-"
        assert_eq!(utf7_encode("_+"), "+AF8AKw-");
        // a character outside the BMP is encoded as its two UTF-16 surrogates
        assert_eq!(utf7_encode("😀"), "+2D3eAA-");
        assert_eq!(utf7_encode(""), "");
    }

    #[test]
    fn utf7_encodes_every_optional_direct_character() {
        for ch in "!\"#$%&*;<=>@[]^_`{|}".chars() {
            let encoded = utf7_encode(&ch.to_string());
            assert!(
                encoded.starts_with('+') && encoded.ends_with('-'),
                "{ch} -> {encoded}"
            );
        }
        for ch in "'(),-./:? \t".chars() {
            assert_eq!(utf7_encode(&ch.to_string()), ch.to_string());
        }
    }

    #[test]
    fn target_headers_turn_spaces_into_plus() {
        assert_eq!(
            utf7_target_header("madeup_name.wopitestx"),
            "madeup+AF8-name.wopitestx"
        );
        assert_eq!(utf7_target_header("my file.wopitest"), "my+file.wopitest");
        assert_eq!(utf7_target_header("a+b c"), "a+-b+c");
    }

    #[test]
    fn query_parameters() {
        let url = "https://h/wopi/files/1?access_token=a%2Eb+c&access_token_ttl=5#frag";
        assert_eq!(
            query_parameter_value(url, "access_token").as_deref(),
            Some("a.b c")
        );
        assert_eq!(
            query_parameter_value(url, "ACCESS_TOKEN_TTL").as_deref(),
            Some("5")
        );
        assert_eq!(query_parameter_value(url, "missing"), None);
        assert_eq!(query_parameter_value("https://h/x", "access_token"), None);

        assert_eq!(
            append_or_replace_query_parameter(url, "access_token", "INVALID"),
            "https://h/wopi/files/1?access_token=INVALID&access_token_ttl=5#frag"
        );
        assert_eq!(
            append_or_replace_query_parameter("https://h/x?a=1#f", "access_token", "x y"),
            "https://h/x?a=1&access_token=x+y#f"
        );
        assert_eq!(
            append_or_replace_query_parameter("https://h/x", "access_token", "t"),
            "https://h/x?access_token=t"
        );
    }

    #[test]
    fn path_suffix_goes_before_the_query() {
        assert_eq!(
            insert_path_suffix("https://h/wopi/files/2?access_token=x", "/contents"),
            "https://h/wopi/files/2/contents?access_token=x"
        );
        assert_eq!(
            insert_path_suffix("https://h/f#x", "/contents"),
            "https://h/f/contents#x"
        );
        assert_eq!(
            insert_path_suffix("https://h", "/contents"),
            "https://h/contents"
        );
    }
}
