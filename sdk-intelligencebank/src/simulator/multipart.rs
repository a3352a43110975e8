//! Reading the `multipart/form-data` bodies of uploads (RFC 7578): the parts between
//! `--{boundary}` lines, each with its `Content-Disposition` (`name`, `filename`) and
//! `Content-Type` headers and its bytes. The HTTP side is hyper's; this only splits a body the
//! server has already received.

/// One part of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    /// The form field's name (`name=`).
    pub name: String,
    /// The file name (`filename=`), for a file part.
    pub file_name: Option<String>,
    /// The part's `Content-Type`, when given.
    pub content_type: Option<String>,
    /// The bytes.
    pub body: Vec<u8>,
}

/// The parts of `body`, sent with the request header `content_type`; `Err` says why the body is
/// not a form.
pub(crate) fn parse(content_type: &str, body: &[u8]) -> Result<Vec<Part>, String> {
    let boundary = content_type
        .split(';')
        .skip(1)
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
        .filter(|b| !b.is_empty())
        .ok_or("the content type names no boundary")?;
    let delimiter = format!("--{boundary}").into_bytes();
    let mut at = find(body, &delimiter, 0).ok_or("the body has no boundary line")? + delimiter.len();
    let mut parts = Vec::new();
    loop {
        if body[at..].starts_with(b"--") {
            return Ok(parts);
        }
        if !body[at..].starts_with(b"\r\n") {
            return Err("a boundary line is not followed by CRLF".into());
        }
        at += 2;
        let head_end = find(body, b"\r\n\r\n", at).ok_or("a part has no end of headers")?;
        let head = String::from_utf8_lossy(&body[at..head_end]).into_owned();
        let start = head_end + 4;
        let mut next = delimiter.clone();
        next.splice(0..0, *b"\r\n");
        let end = find(body, &next, start).ok_or("a part is not closed by a boundary line")?;
        parts.push(part(&head, body[start..end].to_vec())?);
        at = end + next.len();
    }
}

/// A part from its header lines and bytes.
fn part(head: &str, body: Vec<u8>) -> Result<Part, String> {
    let mut name = None;
    let mut file_name = None;
    let mut content_type = None;
    for line in head.split("\r\n") {
        let Some((header, value)) = line.split_once(':') else {
            continue;
        };
        match header.trim().to_ascii_lowercase().as_str() {
            "content-disposition" => {
                for param in value.split(';').skip(1) {
                    let Some((k, v)) = param.split_once('=') else {
                        continue;
                    };
                    let v = v.trim().trim_matches('"').to_string();
                    match k.trim().to_ascii_lowercase().as_str() {
                        "name" => name = Some(v),
                        "filename" => file_name = Some(v),
                        _ => {}
                    }
                }
            }
            "content-type" => content_type = Some(value.trim().to_string()),
            _ => {}
        }
    }
    Ok(Part {
        name: name.ok_or("a part has no name")?,
        file_name,
        content_type,
        body,
    })
}

/// The first position of `needle` in `hay` at or after `from`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    let first = needle[0];
    let mut i = from;
    while i + needle.len() <= hay.len() {
        match hay[i..hay.len() - needle.len() + 1].iter().position(|&b| b == first) {
            Some(p) => {
                i += p;
                if hay[i..].starts_with(needle) {
                    return Some(i);
                }
                i += 1;
            }
            None => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_split_with_their_headers() {
        let body = b"--xyz\r\nContent-Disposition: form-data; name=\"options\"\r\nContent-Type: application/json\r\n\r\n{\"a\":1}\r\n--xyz\r\nContent-Disposition: form-data; name=\"file1\"; filename=\"t.txt\"\r\nContent-Type: text/plain\r\n\r\none\r\n--two\r\n--xyz--\r\n";
        let parts = parse("multipart/form-data; boundary=xyz", body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "options");
        assert_eq!(parts[0].body, b"{\"a\":1}");
        assert_eq!(parts[1].file_name.as_deref(), Some("t.txt"));
        assert_eq!(parts[1].content_type.as_deref(), Some("text/plain"));
        assert_eq!(
            parts[1].body, b"one\r\n--two",
            "a line that only looks like a boundary is data"
        );
    }

    #[test]
    fn broken_bodies_are_refused() {
        assert!(parse("multipart/form-data", b"--x--").is_err(), "no boundary");
        assert!(parse("multipart/form-data; boundary=x", b"nothing").is_err());
        assert!(
            parse(
                "multipart/form-data; boundary=x",
                b"--x\r\nContent-Disposition: form-data; name=a\r\n\r\nnever closed"
            )
            .is_err()
        );
        assert_eq!(
            parse("multipart/form-data; boundary=\"x\"", b"--x--\r\n").unwrap(),
            vec![]
        );
    }
}
