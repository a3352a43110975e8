//! The ZIP files of folder ZIP jobs: every file of the folder and its sub-folders, stored (not
//! compressed) under its folder path, in the plain ZIP format (no ZIP64, hence the size limit).

use std::collections::HashSet;

use super::Blob;
use super::state::State;

/// CRC-32 (IEEE) of `data`, continuing from `crc`.
fn crc32(mut crc: u32, data: &[u8]) -> u32 {
    crc = !crc;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The archive of `folder`, or `None` when its files hold more than `limit` bytes.
pub(super) fn folder_archive(st: &State, folder: i64, limit: u64) -> Option<Blob> {
    let tree = st.subtree(folder);
    // The path of each folder below the root, from its ancestors' names.
    let path_of = |mut id: i64| {
        let mut names = Vec::new();
        while id != folder {
            let Some(f) = st.folders.get(&id) else { break };
            names.push(f.name.replace('/', "_"));
            match f.parent {
                Some(p) => id = p,
                None => break,
            }
        }
        names.reverse();
        names.join("/")
    };
    let mut files = Vec::new();
    let mut total = 0u64;
    let mut seen = HashSet::new();
    for m in st.media.values().filter(|m| !m.colourbox) {
        let Some(f) = m.folders.iter().find(|f| tree.contains(f)) else {
            continue;
        };
        total += m.blob.len();
        if total > limit {
            return None;
        }
        let dir = path_of(*f);
        let base = if dir.is_empty() {
            m.filename.clone()
        } else {
            format!("{dir}/{}", m.filename)
        };
        let mut name = base.clone();
        let mut n = 1;
        while !seen.insert(name.clone()) {
            n += 1;
            name = match base.rsplit_once('.') {
                Some((stem, ext)) => format!("{stem} ({n}).{ext}"),
                None => format!("{base} ({n})"),
            };
        }
        files.push((name, m.blob.slice(0, m.blob.len())));
    }
    Some(Blob::Bytes(archive(&files).into()))
}

/// A stored ZIP archive of `(name, bytes)` files.
fn archive(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    // 1980-01-01 00:00, the DOS epoch.
    let (time, date) = (0u16, 0x21u16);
    for (name, data) in files {
        let crc = crc32(0, data);
        let offset = out.len() as u32;
        let len = data.len() as u32;
        let header = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            if central {
                h.extend_from_slice(&20u16.to_le_bytes()); // made by
            }
            h.extend_from_slice(&20u16.to_le_bytes()); // version needed
            h.extend_from_slice(&0x0800u16.to_le_bytes()); // flags: UTF-8 names
            h.extend_from_slice(&0u16.to_le_bytes()); // stored
            h.extend_from_slice(&time.to_le_bytes());
            h.extend_from_slice(&date.to_le_bytes());
            h.extend_from_slice(&crc.to_le_bytes());
            h.extend_from_slice(&len.to_le_bytes());
            h.extend_from_slice(&len.to_le_bytes());
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // extra
            if central {
                h.extend_from_slice(&0u16.to_le_bytes()); // comment
                h.extend_from_slice(&0u16.to_le_bytes()); // disk
                h.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
                h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend_from_slice(data);
        central.extend(header(0x0201_4b50, true));
    }
    let central_at = out.len() as u32;
    let central_len = central.len() as u32;
    out.extend(central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&(files.len() as u16).to_le_bytes());
    out.extend_from_slice(&central_len.to_le_bytes());
    out.extend_from_slice(&central_at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(0, b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn an_archive_lists_its_files() {
        let zip = archive(&[("a.txt".into(), b"hello".to_vec())]);
        assert_eq!(&zip[..4], b"PK\x03\x04");
        assert_eq!(&zip[30..35], b"a.txt");
        assert_eq!(&zip[35..40], b"hello");
        assert_eq!(&zip[zip.len() - 22..zip.len() - 18], b"PK\x05\x06");
    }
}
