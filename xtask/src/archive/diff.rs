//! What differs between two builds of one artifact, named by archive member
//! and field.
//!
//! Pure functions over the artifacts' bytes. [`diff_artifact`] picks a reader
//! by the file name (zip for `.whl` and `.zip`, tar.gz for `.tar.gz`, lines of
//! text otherwise) and reports the first difference in the order a person
//! would look: the container's header, the member list (names, order), then
//! member by member, metadata before bytes. When every field agrees and the
//! bytes still differ, the first differing offset is named instead.

use std::io::Read;

/// `None` when the two builds of `name` are byte-identical, else one line:
/// `<name> differs: member <member>: <field> <a> vs <b>`.
pub fn diff_artifact(name: &str, a: &[u8], b: &[u8]) -> Option<String> {
    if a == b {
        return None;
    }
    let detail = if name.ends_with(".whl") || name.ends_with(".zip") {
        diff_zip(a, b)
    } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
        diff_targz(a, b)
    } else {
        Some(content_difference(a, b))
    };
    let detail = detail.unwrap_or_else(|| first_byte_difference(a, b));
    Some(format!("{name} differs: {detail}"))
}

// ---------------------------------------------------------------- bytes and text

/// Where two byte strings first differ: a line of text when both are UTF-8,
/// else an offset and the two bytes.
pub fn content_difference(a: &[u8], b: &[u8]) -> String {
    let at = first_difference(a, b);
    if let (Some(ta), Some(tb)) = (as_text(a), as_text(b)) {
        let line = ta[..at.min(ta.len())].matches('\n').count();
        let la = ta.lines().nth(line);
        let lb = tb.lines().nth(line);
        let show = |l: Option<&str>| l.map_or("(no line)".to_owned(), |l| format!("{:?}", clip(l)));
        if la != lb {
            return format!("line {}: {} vs {}", line + 1, show(la), show(lb));
        }
    }
    first_byte_difference(a, b)
}

/// The bytes as text, when they are UTF-8 without control characters
/// other than tabs and line ends.
fn as_text(bytes: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(bytes).ok()?;
    (!text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')))
    .then_some(text)
}

/// The first differing offset, with the two bytes there (or which one ended).
fn first_byte_difference(a: &[u8], b: &[u8]) -> String {
    let at = first_difference(a, b);
    match (a.get(at), b.get(at)) {
        (Some(x), Some(y)) => format!(
            "bytes first differ at offset {at} (0x{x:02x} vs 0x{y:02x}; {} vs {} bytes)",
            a.len(),
            b.len()
        ),
        _ => format!(
            "one is a prefix of the other ({} vs {} bytes)",
            a.len(),
            b.len()
        ),
    }
}

fn first_difference(a: &[u8], b: &[u8]) -> usize {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()))
}

/// At most 160 characters of a line (a SHA256SUMS line fits), for messages.
fn clip(s: &str) -> String {
    if s.chars().count() <= 160 {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(157).collect();
        out.push_str("...");
        out
    }
}

fn show_name(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).into_owned()
}

fn hex(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "(none)".to_owned();
    }
    crate::util::hash::hex(bytes)
}

/// Compare two member lists: which name is missing on one side, or, with the
/// same names, the first position where the order differs.
fn diff_names(a: &[String], b: &[String]) -> Option<String> {
    if a == b {
        return None;
    }
    if let Some(missing) = a.iter().find(|n| !b.contains(n)) {
        return Some(format!(
            "member list: {missing} only in the first ({} vs {} members)",
            a.len(),
            b.len()
        ));
    }
    if let Some(missing) = b.iter().find(|n| !a.contains(n)) {
        return Some(format!(
            "member list: {missing} only in the second ({} vs {} members)",
            a.len(),
            b.len()
        ));
    }
    let at = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(0);
    if a.len() != b.len() {
        return Some(format!(
            "member list: a name repeats ({} vs {} members)",
            a.len(),
            b.len()
        ));
    }
    Some(format!(
        "member order: position {} holds {} vs {}",
        at + 1,
        a[at],
        b[at]
    ))
}

// ---------------------------------------------------------------- zip

fn le16(b: &[u8], at: usize) -> Result<u16, String> {
    b.get(at..at + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or_else(|| format!("truncated at offset {at}"))
}

fn le32(b: &[u8], at: usize) -> Result<u32, String> {
    b.get(at..at + 4)
        .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| format!("truncated at offset {at}"))
}

fn slice(b: &[u8], at: usize, len: usize) -> Result<&[u8], String> {
    b.get(at..at + len)
        .ok_or_else(|| format!("truncated: {len} bytes wanted at offset {at}"))
}

/// One member as the central directory and its local header describe it.
struct ZipEntry<'a> {
    name: String,
    made_by: u16,
    needed: u16,
    flags: u16,
    method: u16,
    time: u16,
    date: u16,
    crc: u32,
    csize: u32,
    usize: u32,
    extra: &'a [u8],
    comment: &'a [u8],
    internal: u16,
    external: u32,
    local: LocalHeader<'a>,
}

struct LocalHeader<'a> {
    needed: u16,
    flags: u16,
    method: u16,
    time: u16,
    date: u16,
    crc: u32,
    csize: u32,
    usize: u32,
    name: &'a [u8],
    extra: &'a [u8],
    data: &'a [u8],
}

struct ZipFile<'a> {
    entries: Vec<ZipEntry<'a>>,
    comment: &'a [u8],
}

/// Read by hand, not with the zip crate: the differ compares every field of
/// the central directory with its twin in the local header, and the crate
/// reads the central directory only (a local header is checked against it
/// on request, never shown). It also keeps no internal attributes, parses
/// the extra fields instead of keeping their bytes, turns version-made-by
/// and the method into enums, and drops a DOS date and time that is not a
/// valid date: the fields a build's difference hides in.
fn parse_zip(b: &[u8]) -> Result<ZipFile<'_>, String> {
    const END: u32 = 0x0605_4b50;
    const CENTRAL: u32 = 0x0201_4b50;
    const LOCAL: u32 = 0x0403_4b50;
    if b.len() < 22 {
        return Err(format!("{} bytes are too few for a zip", b.len()));
    }
    let lowest = b.len().saturating_sub(22 + 0xFFFF);
    let end = (lowest..=b.len() - 22)
        .rev()
        .find(|&p| le32(b, p) == Ok(END))
        .ok_or("no end-of-central-directory record")?;
    let count = le16(b, end + 10)? as usize;
    let cd_start = le32(b, end + 16)? as usize;
    let comment = slice(b, end + 22, le16(b, end + 20)? as usize)?;
    let mut entries = Vec::with_capacity(count);
    let mut p = cd_start;
    for n in 0..count {
        if le32(b, p)? != CENTRAL {
            return Err(format!("central directory entry {} is damaged", n + 1));
        }
        let nlen = le16(b, p + 28)? as usize;
        let xlen = le16(b, p + 30)? as usize;
        let clen = le16(b, p + 32)? as usize;
        let name = slice(b, p + 46, nlen)?;
        let csize = le32(b, p + 20)?;
        let offset = le32(b, p + 42)? as usize;
        if le32(b, offset)? != LOCAL {
            return Err(format!(
                "the local header of {} is damaged",
                show_name(name)
            ));
        }
        let lnlen = le16(b, offset + 26)? as usize;
        let lxlen = le16(b, offset + 28)? as usize;
        let data_start = offset + 30 + lnlen + lxlen;
        let local = LocalHeader {
            needed: le16(b, offset + 4)?,
            flags: le16(b, offset + 6)?,
            method: le16(b, offset + 8)?,
            time: le16(b, offset + 10)?,
            date: le16(b, offset + 12)?,
            crc: le32(b, offset + 14)?,
            csize: le32(b, offset + 18)?,
            usize: le32(b, offset + 22)?,
            name: slice(b, offset + 30, lnlen)?,
            extra: slice(b, offset + 30 + lnlen, lxlen)?,
            data: slice(b, data_start, csize as usize)?,
        };
        entries.push(ZipEntry {
            name: show_name(name),
            made_by: le16(b, p + 4)?,
            needed: le16(b, p + 6)?,
            flags: le16(b, p + 8)?,
            method: le16(b, p + 10)?,
            time: le16(b, p + 12)?,
            date: le16(b, p + 14)?,
            crc: le32(b, p + 16)?,
            csize,
            usize: le32(b, p + 24)?,
            extra: slice(b, p + 46 + nlen, xlen)?,
            comment: slice(b, p + 46 + nlen + xlen, clen)?,
            internal: le16(b, p + 36)?,
            external: le32(b, p + 38)?,
            local,
        });
        p += 46 + nlen + xlen + clen;
    }
    Ok(ZipFile { entries, comment })
}

/// An MS-DOS date and time as `YYYY-MM-DD hh:mm:ss`.
fn dos_time(date: u16, time: u16) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        1980 + (date >> 9),
        (date >> 5) & 0xF,
        date & 0x1F,
        time >> 11,
        (time >> 5) & 0x3F,
        (time & 0x1F) * 2
    )
}

/// A member's uncompressed bytes (stored or deflated).
fn zip_content(e: &ZipEntry<'_>) -> Result<Vec<u8>, String> {
    match e.method {
        0 => Ok(e.local.data.to_vec()),
        8 => {
            let mut out = Vec::with_capacity(e.usize as usize);
            flate2::read::DeflateDecoder::new(e.local.data)
                .read_to_end(&mut out)
                .map_err(|err| format!("cannot inflate: {err}"))?;
            Ok(out)
        }
        m => Err(format!("compression method {m} is not read here")),
    }
}

/// The first difference between two zip files (wheels, the installer zip):
/// member list and order, then per member mode, time, size, bytes,
/// compression, extra fields and the remaining header fields.
pub fn diff_zip(a: &[u8], b: &[u8]) -> Option<String> {
    if a == b {
        return None;
    }
    let (za, zb) = match (parse_zip(a), parse_zip(b)) {
        (Ok(za), Ok(zb)) => (za, zb),
        (Err(e), _) => return Some(format!("the first is not a readable zip ({e})")),
        (_, Err(e)) => return Some(format!("the second is not a readable zip ({e})")),
    };
    let names = |z: &ZipFile<'_>| z.entries.iter().map(|e| e.name.clone()).collect::<Vec<_>>();
    if let Some(d) = diff_names(&names(&za), &names(&zb)) {
        return Some(d);
    }
    for (x, y) in za.entries.iter().zip(&zb.entries) {
        if let Some(field) = diff_zip_entry(x, y) {
            return Some(format!("member {}: {field}", x.name));
        }
    }
    if za.comment != zb.comment {
        return Some(format!(
            "archive comment {:?} vs {:?}",
            show_name(za.comment),
            show_name(zb.comment)
        ));
    }
    None
}

fn diff_zip_entry(x: &ZipEntry<'_>, y: &ZipEntry<'_>) -> Option<String> {
    if x.external >> 16 != y.external >> 16 {
        return Some(format!(
            "mode 0o{:o} vs 0o{:o} (external attributes)",
            x.external >> 16,
            y.external >> 16
        ));
    }
    if x.external != y.external {
        return Some(format!(
            "external attributes 0x{:08x} vs 0x{:08x}",
            x.external, y.external
        ));
    }
    if (x.date, x.time) != (y.date, y.time) {
        return Some(format!(
            "time {} vs {} (DOS date/time 0x{:04x}/0x{:04x} vs 0x{:04x}/0x{:04x})",
            dos_time(x.date, x.time),
            dos_time(y.date, y.time),
            x.date,
            x.time,
            y.date,
            y.time
        ));
    }
    if (x.local.date, x.local.time) != (y.local.date, y.local.time) {
        return Some(format!(
            "local header time {} vs {}",
            dos_time(x.local.date, x.local.time),
            dos_time(y.local.date, y.local.time)
        ));
    }
    if x.usize != y.usize {
        return Some(format!("size {} vs {}", x.usize, y.usize));
    }
    match (zip_content(x), zip_content(y)) {
        (Ok(cx), Ok(cy)) if cx != cy => {
            return Some(format!(
                "bytes: {} (crc32 0x{:08x} vs 0x{:08x})",
                content_difference(&cx, &cy),
                x.crc,
                y.crc
            ));
        }
        (Err(e), _) | (_, Err(e)) if x.local.data != y.local.data => {
            return Some(format!("stored bytes differ; {e}"));
        }
        _ => {}
    }
    if x.crc != y.crc {
        return Some(format!("crc32 0x{:08x} vs 0x{:08x}", x.crc, y.crc));
    }
    if x.method != y.method {
        return Some(format!("compression method {} vs {}", x.method, y.method));
    }
    if x.local.data != y.local.data {
        return Some(format!(
            "compressed bytes (same content): {} vs {} bytes, first difference at offset {}",
            x.local.data.len(),
            y.local.data.len(),
            first_difference(x.local.data, y.local.data)
        ));
    }
    if x.extra != y.extra {
        return Some(format!(
            "extra field (central directory) {} vs {}",
            hex(x.extra),
            hex(y.extra)
        ));
    }
    if x.local.extra != y.local.extra {
        return Some(format!(
            "extra field (local header) {} vs {}",
            hex(x.local.extra),
            hex(y.local.extra)
        ));
    }
    let pairs: [(&str, u64, u64); 12] = [
        ("flags", x.flags.into(), y.flags.into()),
        (
            "local header flags",
            x.local.flags.into(),
            y.local.flags.into(),
        ),
        ("compressed size", x.csize.into(), y.csize.into()),
        ("version made by", x.made_by.into(), y.made_by.into()),
        ("version needed", x.needed.into(), y.needed.into()),
        (
            "local header version needed",
            x.local.needed.into(),
            y.local.needed.into(),
        ),
        (
            "local header compression method",
            x.local.method.into(),
            y.local.method.into(),
        ),
        ("local header crc32", x.local.crc.into(), y.local.crc.into()),
        (
            "local header compressed size",
            x.local.csize.into(),
            y.local.csize.into(),
        ),
        (
            "local header size",
            x.local.usize.into(),
            y.local.usize.into(),
        ),
        ("internal attributes", x.internal.into(), y.internal.into()),
        (
            "comment length",
            x.comment.len() as u64,
            y.comment.len() as u64,
        ),
    ];
    if let Some((field, p, q)) = pairs.iter().find(|(_, p, q)| p != q) {
        return Some(format!("{field} {p} vs {q}"));
    }
    if x.comment != y.comment {
        return Some(format!(
            "comment {:?} vs {:?}",
            show_name(x.comment),
            show_name(y.comment)
        ));
    }
    if x.local.name != y.local.name {
        return Some(format!(
            "local header name {:?} vs {:?}",
            show_name(x.local.name),
            show_name(y.local.name)
        ));
    }
    None
}

// ---------------------------------------------------------------- tar.gz

/// The gzip header (RFC 1952) as flate2 reads it, with the two bytes it does
/// not expose (FLG and XFL) taken from the fixed ten-byte part.
struct GzHeader {
    flags: u8,
    xfl: u8,
    fields: flate2::GzHeader,
}

fn parse_gz_header(b: &[u8]) -> Result<GzHeader, String> {
    let decoder = flate2::read::GzDecoder::new(b);
    match decoder.header() {
        Some(fields) if b.len() >= 10 => Ok(GzHeader {
            flags: b[3],
            xfl: b[8],
            fields: fields.clone(),
        }),
        _ => Err("no gzip header (1f 8b 08)".to_owned()),
    }
}

fn diff_gz_header(x: &GzHeader, y: &GzHeader) -> Option<String> {
    let opt = |f: Option<&[u8]>| f.map_or("none".to_owned(), |v| format!("{:?}", show_name(v)));
    let (fx, fy) = (&x.fields, &y.fields);
    if fx.mtime() != fy.mtime() {
        return Some(format!(
            "gzip header: mtime {} vs {}",
            fx.mtime(),
            fy.mtime()
        ));
    }
    if fx.filename() != fy.filename() {
        return Some(format!(
            "gzip header: file name {} vs {}",
            opt(fx.filename()),
            opt(fy.filename())
        ));
    }
    if fx.comment() != fy.comment() {
        return Some(format!(
            "gzip header: comment {} vs {}",
            opt(fx.comment()),
            opt(fy.comment())
        ));
    }
    if fx.extra() != fy.extra() {
        return Some(format!(
            "gzip header: extra field {} vs {}",
            hex(fx.extra().unwrap_or_default()),
            hex(fy.extra().unwrap_or_default())
        ));
    }
    if x.flags != y.flags {
        return Some(format!(
            "gzip header: flags 0x{:02x} vs 0x{:02x}",
            x.flags, y.flags
        ));
    }
    if x.xfl != y.xfl {
        return Some(format!(
            "gzip header: extra flags (XFL, compression level) {} vs {}",
            x.xfl, y.xfl
        ));
    }
    if fx.operating_system() != fy.operating_system() {
        return Some(format!(
            "gzip header: OS {} vs {}",
            fx.operating_system(),
            fy.operating_system()
        ));
    }
    None
}

/// The ustar header's fields, in the order they are compared, as offsets
/// into the 512-byte block. The tar crate parses these (`mode()`,
/// `mtime()`, ...) into values and fails on a malformed one; a differ shows
/// both sides as written, garbage and the header padding included, so the
/// bytes are read here. The checksum comes last: it only follows from the
/// others.
const TAR_FIELDS: &[(&str, usize, usize, FieldKind)] = &[
    ("name", 0, 100, FieldKind::Text),
    ("prefix", 345, 500, FieldKind::Text),
    ("type", 156, 157, FieldKind::Text),
    ("mode", 100, 108, FieldKind::Mode),
    ("uid", 108, 116, FieldKind::Number),
    ("gid", 116, 124, FieldKind::Number),
    ("uname", 265, 297, FieldKind::Text),
    ("gname", 297, 329, FieldKind::Text),
    ("mtime", 136, 148, FieldKind::Number),
    ("size", 124, 136, FieldKind::Number),
    ("linkname", 157, 257, FieldKind::Text),
    ("magic", 257, 263, FieldKind::Text),
    ("version", 263, 265, FieldKind::Text),
    ("devmajor", 329, 337, FieldKind::Number),
    ("devminor", 337, 345, FieldKind::Number),
    ("header padding", 500, 512, FieldKind::Raw),
    ("checksum", 148, 156, FieldKind::Number),
];

#[derive(Clone, Copy)]
enum FieldKind {
    Text,
    Number,
    Mode,
    Raw,
}

/// An octal header number (NUL/space padded); `None` for anything else
/// (e.g. GNU base-256).
fn octal(field: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(field).ok()?;
    let text = text.trim_matches(|c: char| c == '\0' || c == ' ');
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(text, 8).ok()
}

fn show_field(kind: FieldKind, raw: &[u8]) -> String {
    match kind {
        FieldKind::Text => {
            let end = raw.iter().position(|&c| c == 0).unwrap_or(raw.len());
            format!("{:?}", show_name(&raw[..end]))
        }
        FieldKind::Number => octal(raw).map_or_else(|| hex(raw), |n| n.to_string()),
        FieldKind::Mode => octal(raw).map_or_else(|| hex(raw), |n| format!("0o{n:o}")),
        FieldKind::Raw => hex(raw),
    }
}

/// A pax (`x`/`g`) or GNU long-name (`L`/`K`) header block and its records.
#[derive(Clone, Copy)]
struct Extension<'a> {
    kind: tar::EntryType,
    header: &'a [u8],
    records: &'a [u8],
}

/// One member of a tar stream, with the extended header that came before it.
struct TarMember<'a> {
    name: String,
    header: &'a [u8],
    data: &'a [u8],
    /// The bytes after the data up to the next 512-byte block.
    padding: &'a [u8],
    extension: Option<Extension<'a>>,
}

struct TarStream<'a> {
    members: Vec<TarMember<'a>>,
    /// Everything from the first zero block on.
    trailer: &'a [u8],
}

/// The tar crate walks the blocks (raw: extension headers come as entries
/// of their own); the header, data and padding are then cut from `t` at the
/// positions it reports, padding included, which it skips.
fn parse_tar(t: &[u8]) -> Result<TarStream<'_>, String> {
    use tar::EntryType;
    let mut archive = tar::Archive::new(t);
    let entries = archive.entries().map_err(|e| e.to_string())?.raw(true);
    let mut members = Vec::new();
    let mut pending: Option<Extension<'_>> = None;
    let mut end = 0;
    for entry in entries {
        let entry = entry.map_err(|e| e.to_string())?;
        let header = slice(t, entry.raw_header_position() as usize, 512)?;
        let at = entry.raw_file_position() as usize;
        let size = entry.size() as usize;
        let data = slice(t, at, size)?;
        end = at + size.div_ceil(512) * 512;
        let padding = slice(t, at + size, end - at - size)?;
        let kind = entry.header().entry_type();
        match kind {
            EntryType::XHeader
            | EntryType::XGlobalHeader
            | EntryType::GNULongName
            | EntryType::GNULongLink => {
                pending = Some(Extension {
                    kind,
                    header,
                    records: data,
                });
            }
            _ => members.push(TarMember {
                name: tar_name(entry.header(), pending),
                header,
                data,
                padding,
                extension: pending.take(),
            }),
        }
    }
    Ok(TarStream {
        members,
        trailer: t.get(end..).unwrap_or_default(),
    })
}

/// A member's full name: the pax `path` record, a GNU long name, or the
/// ustar prefix and name.
fn tar_name(header: &tar::Header, extension: Option<Extension<'_>>) -> String {
    match extension {
        Some(ext) if ext.kind == tar::EntryType::XHeader => {
            if let Some((_, path)) = pax_records(ext.records)
                .into_iter()
                .find(|(k, _)| k == "path")
            {
                return path;
            }
        }
        Some(ext) if ext.kind == tar::EntryType::GNULongName => {
            let end = ext
                .records
                .iter()
                .position(|&c| c == 0)
                .unwrap_or(ext.records.len());
            return show_name(&ext.records[..end]);
        }
        _ => {}
    }
    show_name(&header.path_bytes())
}

/// The `"<len> key=value\n"` records of a pax header, as the tar crate reads them.
fn pax_records(records: &[u8]) -> Vec<(String, String)> {
    tar::PaxExtensions::new(records)
        .filter_map(Result::ok)
        .map(|r| (show_name(r.key_bytes()), show_name(r.value_bytes())))
        .collect()
}

fn diff_tar_header(x: &[u8], y: &[u8]) -> Option<String> {
    TAR_FIELDS.iter().find_map(|&(field, from, to, kind)| {
        (x[from..to] != y[from..to]).then(|| {
            format!(
                "{field} {} vs {}",
                show_field(kind, &x[from..to]),
                show_field(kind, &y[from..to])
            )
        })
    })
}

fn diff_tar_member(x: &TarMember<'_>, y: &TarMember<'_>) -> Option<String> {
    if let Some(d) = diff_tar_header(x.header, y.header) {
        return Some(d);
    }
    match (x.extension, y.extension) {
        (None, None) => {}
        (Some(_), None) => return Some("pax header: present vs absent".to_owned()),
        (None, Some(_)) => return Some("pax header: absent vs present".to_owned()),
        (Some(ex), Some(ey)) => {
            let (rx, ry) = (ex.records, ey.records);
            if rx != ry {
                let (px, py) = (pax_records(rx), pax_records(ry));
                let at = px.iter().zip(&py).position(|(p, q)| p != q);
                let show = |r: Option<&(String, String)>| {
                    r.map_or("(none)".to_owned(), |(k, v)| {
                        format!("{:?}", clip(&format!("{k}={v}")))
                    })
                };
                let at = at.unwrap_or(px.len().min(py.len()));
                return Some(format!(
                    "pax header: record {} vs {}",
                    show(px.get(at)),
                    show(py.get(at))
                ));
            }
            if let Some(d) = diff_tar_header(ex.header, ey.header) {
                return Some(format!("pax header's {d}"));
            }
        }
    }
    if x.data != y.data {
        return Some(format!("bytes: {}", content_difference(x.data, y.data)));
    }
    if x.padding != y.padding {
        return Some(format!(
            "padding after the data {} vs {}",
            hex(x.padding),
            hex(y.padding)
        ));
    }
    None
}

/// The first difference between two gzip-compressed tar files (the sdist):
/// the gzip header, the member list and order, per member the ustar fields
/// (name, mode, uid/gid, uname/gname, mtime, size, ...), pax headers and
/// bytes, the end of the archive, and last the compressed stream itself.
pub fn diff_targz(a: &[u8], b: &[u8]) -> Option<String> {
    if a == b {
        return None;
    }
    let (ha, hb) = match (parse_gz_header(a), parse_gz_header(b)) {
        (Ok(ha), Ok(hb)) => (ha, hb),
        (Err(e), _) => return Some(format!("the first is not gzip ({e})")),
        (_, Err(e)) => return Some(format!("the second is not gzip ({e})")),
    };
    if let Some(d) = diff_gz_header(&ha, &hb) {
        return Some(d);
    }
    let gunzip = |bytes: &[u8]| -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(bytes)
            .read_to_end(&mut out)
            .map_err(|e| format!("cannot decompress: {e}"))?;
        Ok(out)
    };
    let (ta, tb) = match (gunzip(a), gunzip(b)) {
        (Ok(ta), Ok(tb)) => (ta, tb),
        (Err(e), _) => return Some(format!("the first: {e}")),
        (_, Err(e)) => return Some(format!("the second: {e}")),
    };
    if ta == tb {
        return Some(format!(
            "the tar streams are identical; the gzip compression differs (first difference at byte {} of {} vs {})",
            first_difference(a, b),
            a.len(),
            b.len()
        ));
    }
    let (sa, sb) = match (parse_tar(&ta), parse_tar(&tb)) {
        (Ok(sa), Ok(sb)) => (sa, sb),
        (Err(e), _) => return Some(format!("the first is not a readable tar ({e})")),
        (_, Err(e)) => return Some(format!("the second is not a readable tar ({e})")),
    };
    let names = |s: &TarStream<'_>| s.members.iter().map(|m| m.name.clone()).collect::<Vec<_>>();
    if let Some(d) = diff_names(&names(&sa), &names(&sb)) {
        return Some(d);
    }
    for (x, y) in sa.members.iter().zip(&sb.members) {
        if let Some(field) = diff_tar_member(x, y) {
            return Some(format!("member {}: {field}", x.name));
        }
    }
    if sa.trailer != sb.trailer {
        return Some(format!(
            "end of the tar archive: {} vs {} bytes of end blocks and padding",
            sa.trailer.len(),
            sb.trailer.len()
        ));
    }
    Some(format!(
        "the tar streams differ outside any member: {}",
        first_byte_difference(&ta, &tb)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::archive::{ArchiveWriter, Member, TarGzWriter, ZipWriter};

    const T: u64 = 1_700_000_000;

    /// (name, mode, bytes) members, written by the project's zip writer.
    fn zip(mtime: u64, members: &[(&str, u32, &[u8])]) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut w: Box<dyn ArchiveWriter> = Box::new(ZipWriter::new(&mut buf, mtime));
        for (name, mode, data) in members {
            w.append(&Member {
                name,
                mode: *mode,
                is_dir: false,
                data,
                deflated: None,
            })
            .unwrap();
        }
        w.finish().unwrap();
        buf
    }

    /// (name, mode, bytes) members, written by the project's tar.gz writer;
    /// names ending in `/` are folders.
    fn targz(mtime: u64, members: &[(&str, u32, &[u8])]) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut w: Box<dyn ArchiveWriter> = Box::new(TarGzWriter::new(&mut buf, mtime));
        for (name, mode, data) in members {
            w.append(&Member {
                name,
                mode: *mode,
                is_dir: name.ends_with('/'),
                data,
                deflated: None,
            })
            .unwrap();
        }
        w.finish().unwrap();
        buf
    }

    const RECORD: &[u8] = b"p/__init__.py,sha256=abc,12\np/RECORD,,\n";

    fn wheel_members() -> Vec<(&'static str, u32, &'static [u8])> {
        vec![
            ("p/__init__.py", 0o644, b"__version__ = \"1.0\"\n"),
            ("p/run.sh", 0o755, b"#!/bin/sh\nexec true\n"),
            ("p-1.0.dist-info/RECORD", 0o644, RECORD),
        ]
    }

    fn sdist_members() -> Vec<(&'static str, u32, &'static [u8])> {
        vec![
            ("p-1.0/", 0o755, b""),
            (
                "p-1.0/PKG-INFO",
                0o644,
                b"Metadata-Version: 2.4\nName: p\nVersion: 1.0\n",
            ),
            ("p-1.0/setup.sh", 0o755, b"#!/bin/sh\n"),
        ]
    }

    #[test]
    fn identical_artifacts_have_no_difference() {
        let a = zip(T, &wheel_members());
        assert_eq!(
            diff_artifact("p-1.0-py3-none-any.whl", &a, &a.clone()),
            None
        );
        let s = targz(T, &sdist_members());
        assert_eq!(diff_artifact("p-1.0.tar.gz", &s, &s.clone()), None);
    }

    #[test]
    fn zip_time_is_named_with_both_values() {
        let a = zip(T, &wheel_members());
        let b = zip(T + 2, &wheel_members());
        let d = diff_artifact("p-1.0-py3-none-any.whl", &a, &b).unwrap();
        assert!(
            d.starts_with("p-1.0-py3-none-any.whl differs: member p/__init__.py: time 2023-11-14 22:13:20 vs 2023-11-14 22:13:22"),
            "{d}"
        );
    }

    #[test]
    fn zip_time_of_a_later_member_names_that_member() {
        let a = zip(T, &wheel_members());
        let mut b = a.clone();
        // Patch the central directory time of the second member only.
        let z = parse_zip(&a).unwrap();
        let cd = a.len() - 22;
        let cd_start = le32(&a, cd + 16).unwrap() as usize;
        let first_len = 46 + z.entries[0].name.len();
        let time_at = cd_start + first_len + 12;
        b[time_at] ^= 1;
        let d = diff_zip(&a, &b).unwrap();
        assert!(d.starts_with("member p/run.sh: time "), "{d}");
        assert!(d.contains("22:13:20 vs 2023-11-14 22:13:22"), "{d}");
    }

    #[test]
    fn zip_mode_is_named() {
        let a = zip(T, &wheel_members());
        let mut members = wheel_members();
        members[1].1 = 0o644;
        let b = zip(T, &members);
        assert_eq!(
            diff_zip(&a, &b).unwrap(),
            "member p/run.sh: mode 0o100755 vs 0o100644 (external attributes)"
        );
    }

    #[test]
    fn zip_order_is_named() {
        let a = zip(T, &wheel_members());
        let mut members = wheel_members();
        members.swap(0, 1);
        let b = zip(T, &members);
        assert_eq!(
            diff_zip(&a, &b).unwrap(),
            "member order: position 1 holds p/__init__.py vs p/run.sh"
        );
    }

    #[test]
    fn zip_missing_member_is_named() {
        let a = zip(T, &wheel_members());
        let b = zip(T, &wheel_members()[..2]);
        assert_eq!(
            diff_zip(&a, &b).unwrap(),
            "member list: p-1.0.dist-info/RECORD only in the first (3 vs 2 members)"
        );
    }

    #[test]
    fn zip_bytes_are_named_by_line() {
        let a = zip(T, &wheel_members());
        let mut members = wheel_members();
        members[2].2 = b"p/__init__.py,sha256=abd,12\np/RECORD,,\n";
        let b = zip(T, &members);
        let d = diff_zip(&a, &b).unwrap();
        assert!(
            d.starts_with(
                "member p-1.0.dist-info/RECORD: bytes: line 1: \"p/__init__.py,sha256=abc,12\" vs \"p/__init__.py,sha256=abd,12\" (crc32 0x"
            ),
            "{d}"
        );
        // A different length is a size difference first.
        members[2].2 = b"p/__init__.py,sha256=abc,123\np/RECORD,,\n";
        let b = zip(T, &members);
        assert_eq!(
            diff_zip(&a, &b).unwrap(),
            "member p-1.0.dist-info/RECORD: size 39 vs 40"
        );
    }

    /// A zip written by hand, stored only, with an optional extra field per member.
    fn stored_zip(members: &[(&str, &[u8], &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data, extra) in members {
            let crc = {
                let mut c = flate2::Crc::new();
                c.update(data);
                c.sum()
            };
            let offset = out.len() as u32;
            let fields = |sig: u32, central: bool| {
                let mut h = Vec::new();
                h.extend_from_slice(&sig.to_le_bytes());
                if central {
                    h.extend_from_slice(&0x0314u16.to_le_bytes());
                }
                for v in [20u16, 0, 0, 0x6000, 0x5771] {
                    h.extend_from_slice(&v.to_le_bytes());
                }
                for v in [crc, data.len() as u32, data.len() as u32] {
                    h.extend_from_slice(&v.to_le_bytes());
                }
                h.extend_from_slice(&(name.len() as u16).to_le_bytes());
                h.extend_from_slice(&(extra.len() as u16).to_le_bytes());
                if central {
                    for v in [0u16, 0, 0] {
                        h.extend_from_slice(&v.to_le_bytes());
                    }
                    h.extend_from_slice(&(0o100644u32 << 16).to_le_bytes());
                    h.extend_from_slice(&offset.to_le_bytes());
                }
                h.extend_from_slice(name.as_bytes());
                h.extend_from_slice(extra);
                h
            };
            out.extend(fields(0x0403_4b50, false));
            out.extend_from_slice(data);
            central.extend(fields(0x0201_4b50, true));
        }
        let cd_start = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        for v in [0u16, 0, members.len() as u16, members.len() as u16] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_start.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    #[test]
    fn zip_extra_fields_and_compression_are_named() {
        let ut = b"UT\x05\x00\x01\x00\xf1\x53\x65";
        let a = stored_zip(&[("a.txt", b"aaaa", b""), ("b.txt", b"bbbb", b"")]);
        let b = stored_zip(&[("a.txt", b"aaaa", b""), ("b.txt", b"bbbb", ut)]);
        assert_eq!(
            diff_zip(&a, &b).unwrap(),
            "member b.txt: extra field (central directory) (none) vs 555405000100f15365"
        );
        // Stored against deflated, same content.
        let text = b"hello hello hello hello hello hello hello".as_slice();
        let c = stored_zip(&[("a.txt", text, b"")]);
        let mut d = zip(T, &[("a.txt", 0o644, text)]);
        // Give the deflated one the hand-written zip's DOS date and time.
        for (at, v) in [(10usize, 0x6000u16), (12, 0x5771)] {
            d[at..at + 2].copy_from_slice(&v.to_le_bytes());
        }
        let cd = le32(&d, d.len() - 22 + 16).unwrap() as usize;
        for (at, v) in [(cd + 12, 0x6000u16), (cd + 14, 0x5771)] {
            d[at..at + 2].copy_from_slice(&v.to_le_bytes());
        }
        assert_eq!(
            diff_zip(&c, &d).unwrap(),
            "member a.txt: compression method 0 vs 8"
        );
    }

    #[test]
    fn targz_mtime_is_named_on_the_first_member() {
        let a = targz(T, &sdist_members());
        let b = targz(T + 1, &sdist_members());
        assert_eq!(
            diff_artifact("p-1.0.tar.gz", &a, &b).unwrap(),
            "p-1.0.tar.gz differs: member p-1.0/: mtime 1700000000 vs 1700000001"
        );
    }

    #[test]
    fn targz_mode_names_the_member() {
        let a = targz(T, &sdist_members());
        let mut members = sdist_members();
        members[2].1 = 0o700;
        let b = targz(T, &members);
        assert_eq!(
            diff_targz(&a, &b).unwrap(),
            "member p-1.0/setup.sh: mode 0o755 vs 0o700"
        );
    }

    #[test]
    fn targz_order_and_bytes_are_named() {
        let a = targz(T, &sdist_members());
        let mut members = sdist_members();
        members.swap(1, 2);
        let b = targz(T, &members);
        assert_eq!(
            diff_targz(&a, &b).unwrap(),
            "member order: position 2 holds p-1.0/PKG-INFO vs p-1.0/setup.sh"
        );
        let mut members = sdist_members();
        members[1].2 = b"Metadata-Version: 2.4\nName: p\nVersion: 1.1\n";
        let b = targz(T, &members);
        assert_eq!(
            diff_targz(&a, &b).unwrap(),
            "member p-1.0/PKG-INFO: bytes: line 3: \"Version: 1.0\" vs \"Version: 1.1\""
        );
        let mut members = sdist_members();
        members[1].2 = b"Metadata-Version: 2.4\nName: p\nVersion: 1.0.post1\n";
        let b = targz(T, &members);
        assert_eq!(
            diff_targz(&a, &b).unwrap(),
            "member p-1.0/PKG-INFO: size 43 vs 49"
        );
    }

    #[test]
    fn targz_long_names_go_through_pax() {
        let long = format!("p-1.0/{}/x.py", "d".repeat(120));
        let a = targz(T, &[("p-1.0/", 0o755, b""), (&long, 0o644, b"x")]);
        let b = targz(T, &[("p-1.0/", 0o755, b""), (&long, 0o600, b"x")]);
        assert_eq!(
            diff_targz(&a, &b).unwrap(),
            format!("member {long}: mode 0o644 vs 0o600")
        );
    }

    /// A tar.gz written by the tar crate (GNU long names), then `extra`
    /// zero bytes after its end blocks.
    fn gnu_targz(name: &str, mode: u32, extra: usize) -> Vec<u8> {
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_mode(mode);
        header.set_size(1);
        header.set_mtime(T);
        tar.append_data(&mut header, name, &b"x"[..]).unwrap();
        let mut bytes = tar.into_inner().unwrap();
        bytes.extend(vec![0u8; extra]);
        let mut enc = flate2::GzBuilder::new()
            .mtime(0)
            .write(Vec::new(), flate2::Compression::new(6));
        std::io::Write::write_all(&mut enc, &bytes).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn targz_gnu_long_names_and_the_end_blocks_are_named() {
        let long = format!("p-1.0/{}/x.py", "g".repeat(120));
        let a = gnu_targz(&long, 0o644, 0);
        let b = gnu_targz(&long, 0o600, 0);
        assert_eq!(
            diff_targz(&a, &b).unwrap(),
            format!("member {long}: mode 0o644 vs 0o600")
        );
        let b = gnu_targz(&long, 0o644, 512);
        assert_eq!(
            diff_targz(&a, &b).unwrap(),
            "end of the tar archive: 1024 vs 1536 bytes of end blocks and padding"
        );
    }

    /// The same tar stream, gzipped again by `build`.
    fn regzip(targz_bytes: &[u8], build: flate2::GzBuilder, level: u32) -> Vec<u8> {
        let mut tar_bytes = Vec::new();
        flate2::read::GzDecoder::new(targz_bytes)
            .read_to_end(&mut tar_bytes)
            .unwrap();
        let mut enc = build.write(Vec::new(), flate2::Compression::new(level));
        std::io::Write::write_all(&mut enc, &tar_bytes).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn gzip_header_fields_are_named() {
        let a = targz(T, &sdist_members());
        let base = || flate2::GzBuilder::new().mtime(0).operating_system(255);
        let b = regzip(&a, base().mtime(1_700_000_000), 6);
        assert_eq!(
            diff_targz(&a, &b).unwrap(),
            "gzip header: mtime 0 vs 1700000000"
        );
        let b = regzip(&a, base().filename("p-1.0.tar"), 6);
        assert_eq!(
            diff_targz(&a, &b).unwrap(),
            "gzip header: file name none vs \"p-1.0.tar\""
        );
        let b = regzip(&a, base().operating_system(3), 6);
        assert_eq!(diff_targz(&a, &b).unwrap(), "gzip header: OS 255 vs 3");
        let b = regzip(&a, base(), 9);
        assert_eq!(
            diff_targz(&a, &b).unwrap(),
            "gzip header: extra flags (XFL, compression level) 0 vs 2"
        );
        // Same header, same tar, another level: the compressed stream.
        let d = diff_targz(&regzip(&a, base(), 6), &regzip(&a, base(), 5)).unwrap();
        assert!(
            d.starts_with("the tar streams are identical; the gzip compression differs"),
            "{d}"
        );
    }

    #[test]
    fn text_files_name_the_line() {
        let a = b"aaa  x.whl\nbbb  y.tar.gz\n";
        let b = b"aaa  x.whl\nbbc  y.tar.gz\n";
        assert_eq!(
            diff_artifact("SHA256SUMS", a, b).unwrap(),
            "SHA256SUMS differs: line 2: \"bbb  y.tar.gz\" vs \"bbc  y.tar.gz\""
        );
        assert_eq!(
            diff_artifact("blob", &[0, 1, 2], &[0, 1, 3]).unwrap(),
            "blob differs: bytes first differ at offset 2 (0x02 vs 0x03; 3 vs 3 bytes)"
        );
    }

    #[test]
    fn unreadable_archives_say_so() {
        let a = zip(T, &wheel_members());
        let d = diff_artifact("p.whl", &a, b"not a zip at all, not at all").unwrap();
        assert!(
            d.starts_with("p.whl differs: the second is not a readable zip"),
            "{d}"
        );
        let d = diff_targz(b"plain", &targz(T, &sdist_members())).unwrap();
        assert!(d.starts_with("the first is not gzip"), "{d}");
    }
}
