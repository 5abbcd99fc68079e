//! Property test of the header files: arbitrary strings (line breaks of
//! every kind, `[`, `=`, `#`, header-like text) in every field of a
//! generated pyproject.toml; whatever is accepted, METADATA read back with
//! Python's email parser and entry_points.txt with configparser give
//! exactly the fields meant, no more, no fewer.

use std::fmt::Write as _;

use camino::Utf8Path;
use serde_json::{Value, json};

use super::metadata::{Metadata, entry_points_file, rfc822_escape, single_line};
use super::pyproject::{self, format_address};
use crate::util::python::is_space;
use crate::util::rng::Rng;

const PIECES: &[&str] = &[
    "a",
    "Zed",
    "ok",
    " ",
    "  ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "\n\n",
    "\x0b",
    "\x0c",
    "\x1c",
    "\u{85}",
    "\u{2028}",
    "\u{2029}",
    ":",
    "=",
    "[",
    "]",
    "#",
    ";",
    ",",
    ".",
    "_",
    "-",
    "é",
    "<",
    ">",
    "@",
    "\"",
    "\\",
    "\0",
    "\x7f",
    "Requires-Dist: evil",
    "\n[evil]",
    "\nevil = demo:main",
    "\n Folded",
    "\nX-Evil: 1",
    "%(x)s",
];

/// A string of up to six pieces: of any pieces one time in `odds`, else
/// of plain words only.
fn text_of(rng: &mut Rng, odds: u64) -> String {
    let plain = rng.below(odds) != 0;
    let n = rng.below(7);
    (0..n)
        .map(|_| {
            if plain {
                rng.pick(&["a", "Zed", "ok", " ", "-", "."])
            } else {
                rng.pick(PIECES)
            }
        })
        .collect()
}

/// [`text_of`] with hostile pieces one time in sixteen: about one field of
/// a case, so that cases are refused about as often as accepted.
fn text(rng: &mut Rng) -> String {
    text_of(rng, 16)
}

/// A TOML basic string holding `s`.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c == '\x7f' => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// One generated case: the pyproject.toml text and the values it gives.
#[derive(Default)]
struct Case {
    toml: String,
    description: Option<String>,
    authors: Vec<(Option<String>, Option<String>)>,
    urls: Vec<(String, String)>,
    keywords: Vec<String>,
    classifiers: Vec<String>,
    readme: Option<(String, String)>,
    license: Option<String>,
    /// (group, [(name, value)]) as written, `console_scripts` for scripts.
    entry_points: Vec<(String, Vec<(String, String)>)>,
    dependencies: usize,
}

fn entry_value(rng: &mut Rng) -> String {
    let base = rng.pick(&["demo:main", "demo.sub:obj.attr", "demo", " demo:main "]);
    match rng.below(5) {
        0..=2 => base.to_owned(),
        3 => format!("{base} [x]{}", text(rng)),
        _ => format!("{base}{}", text(rng)),
    }
}

fn generate(rng: &mut Rng) -> Case {
    let mut c = Case::default();
    let mut t = String::from("[project]\nname = \"demo\"\nversion = \"1.0\"\n");
    let maybe = |rng: &mut Rng| rng.below(2) == 0;
    if maybe(rng) {
        let d = text_of(rng, 2);
        let _ = writeln!(t, "description = {}", toml_str(&d));
        c.description = Some(d);
    }
    if maybe(rng) {
        t.push_str("authors = [");
        for _ in 0..1 + rng.below(2) {
            let name = maybe(rng).then(|| text(rng));
            let email = (name.is_none() || maybe(rng))
                .then(|| {
                    rng.pick(&["a@b.org", "x.y@e.com", "c@d.e", "f@g.h", "bad\n@b.org"])
                        .to_owned()
                })
                .filter(|e| !e.starts_with("bad") || rng.below(3) == 0);
            let mut parts = Vec::new();
            if let Some(n) = &name {
                parts.push(format!("name = {}", toml_str(n)));
            }
            if let Some(e) = &email {
                parts.push(format!("email = {}", toml_str(e)));
            }
            let _ = write!(t, "{{ {} }}, ", parts.join(", "));
            c.authors.push((name, email));
        }
        t.push_str("]\n");
    }
    for (key, list) in [
        ("keywords", &mut c.keywords),
        ("classifiers", &mut c.classifiers),
    ] {
        if maybe(rng) {
            let items: Vec<String> = (0..1 + rng.below(2)).map(|_| text(rng)).collect();
            let shown: Vec<String> = items.iter().map(|i| toml_str(i)).collect();
            let _ = writeln!(t, "{key} = [{}]", shown.join(", "));
            *list = items;
        }
    }
    if maybe(rng) {
        let (body, ct) = (text(rng), text(rng));
        let _ = writeln!(
            t,
            "readme = {{ text = {}, content-type = {} }}",
            toml_str(&body),
            toml_str(&ct)
        );
        c.readme = Some((body, ct));
    }
    if maybe(rng) {
        let l = text(rng);
        let _ = writeln!(t, "license = {{ text = {} }}", toml_str(&l));
        c.license = Some(l);
    }
    if maybe(rng) {
        let deps = [
            "requests>=2",
            "a[b]; python_version < '3.11'",
            "c",
            "d ; os_name == 'nt'",
            "e >= 1.0, < 2",
            "f",
            "g[x,y]>1",
            "h @ https://example.org/h.whl",
            "i",
            "j<3",
            "x; os_name == \"a\nb\"",
            "y; os_name == 'a\rb'",
            "z\n>=1",
        ];
        let n = 1 + rng.below(2) as usize;
        let chosen: Vec<String> = (0..n).map(|_| toml_str(rng.pick(&deps))).collect();
        let _ = writeln!(t, "dependencies = [{}]", chosen.join(", "));
        c.dependencies = n;
    }
    if maybe(rng) {
        let _ = writeln!(
            t,
            "requires-python = {}",
            toml_str(rng.pick(&[
                ">=3.9",
                ">=3.9\n",
                ">=3.9,\n<4",
                " >= 3.9 ",
                ">=3.10",
                "~=3.8"
            ]))
        );
    }
    // Tables last.
    if maybe(rng) {
        t.push_str("[project.urls]\n");
        for _ in 0..1 + rng.below(2) {
            let (label, url) = (format!("L{}", text(rng)), text(rng));
            if c.urls.iter().any(|(l, _)| *l == label) {
                continue;
            }
            let _ = writeln!(t, "{} = {}", toml_str(&label), toml_str(&url));
            c.urls.push((label, url));
        }
    }
    let groups: Vec<(String, String)> = [
        ("project.scripts".to_owned(), "console_scripts".to_owned()),
        ("project.gui-scripts".to_owned(), "gui_scripts".to_owned()),
    ]
    .into_iter()
    .chain((0..rng.below(3)).map(|_| {
        let g = match rng.below(3) {
            0 => rng
                .pick(&["acme.plugins", "pytest11", "DEFAULT"])
                .to_owned(),
            _ => format!("g{}", text(rng)),
        };
        (format!("project.entry-points.{}", toml_str(&g)), g)
    }))
    .collect();
    for (table, group) in groups {
        if !maybe(rng) || c.entry_points.iter().any(|(g, _)| *g == group) {
            continue;
        }
        let _ = writeln!(t, "[{table}]");
        let mut items: Vec<(String, String)> = Vec::new();
        for _ in 0..1 + rng.below(2) {
            let name = match rng.below(3) {
                0 => rng.pick(&["tool", "a:b", "x y"]).to_owned(),
                _ => format!("n{}", text(rng)),
            };
            if items.iter().any(|(n, _)| *n == name) {
                continue;
            }
            let value = entry_value(rng);
            let _ = writeln!(t, "{} = {}", toml_str(&name), toml_str(&value));
            items.push((name, value));
        }
        c.entry_points.push((group, items));
    }
    t.push_str("[tool.setuptools]\npackages = [\"demo\"]\n");
    c.toml = t;
    c
}

/// The headers (name, value as the email parser gives it back) the case
/// means, less Metadata-Version, Requires-Dist and Requires-Python (those are
/// normalised, and only counted).
fn expected_headers(c: &Case) -> Vec<(String, String)> {
    // The parser drops the blanks that open a value.
    let val = |s: &str| s.trim_start_matches([' ', '\t']).to_owned();
    let mut h = vec![
        ("Name".to_owned(), "demo".to_owned()),
        ("Version".to_owned(), "1.0".to_owned()),
    ];
    let mut push = |k: &str, v: &str| h.push((k.to_owned(), val(v)));
    if let Some(d) = c.description.as_deref().filter(|d| !d.is_empty()) {
        push("Summary", &single_line(d));
    }
    let names: Vec<&str> = c
        .authors
        .iter()
        .filter(|(_, e)| e.is_none())
        .filter_map(|(n, _)| n.as_deref())
        .collect();
    let emails: Vec<String> = c
        .authors
        .iter()
        .filter_map(|(n, e)| {
            e.as_deref()
                .map(|e| format_address(n.as_deref().unwrap_or(""), e))
        })
        .collect();
    if !names.is_empty() {
        push("Author", &names.join(", "));
    }
    if !emails.is_empty() {
        push("Author-email", &emails.join(", "));
    }
    if let Some(l) = c.license.as_deref().filter(|l| !l.is_empty()) {
        push("License", rfc822_escape(l).trim_end_matches(['\r', '\n']));
    }
    for (label, url) in &c.urls {
        push("Project-URL", &format!("{label}, {url}"));
    }
    if !c.keywords.join(",").is_empty() {
        push("Keywords", &c.keywords.join(","));
    }
    for cl in &c.classifiers {
        push("Classifier", cl);
    }
    if let Some((_, ct)) = c.readme.as_ref().filter(|(_, ct)| !ct.is_empty()) {
        push("Description-Content-Type", ct);
    }
    h
}

const ORACLE: &str = r#"
import configparser, email.parser, email.policy, json, sys
for line in sys.stdin:
    case = json.loads(line)
    msg = email.parser.Parser(policy=email.policy.compat32).parsestr(case["m"])
    out = {"h": [[k, v] for k, v in msg.items()], "b": msg.get_payload(), "d": [str(d) for d in msg.defects]}
    if case["e"] is not None:
        # As the entry points specification reads the file: `=` only, names
        # as written. No DEFAULT section: "DEFAULT" is a group like others.
        cp = configparser.ConfigParser(delimiters=("=",), interpolation=None, default_section="\0")
        cp.optionxform = str
        try:
            cp.read_string(case["e"])
            out["e"] = {s: dict(cp[s]) for s in cp.sections()}
        except configparser.Error as e:
            out["e"] = "configparser: %s" % e
    print(json.dumps(out))
"#;

/// What our builder wrote for one accepted case.
struct Written {
    case: Case,
    metadata: String,
    entry_points: Option<String>,
    project: pyproject::Project,
}

fn check(w: &Written, parsed: &Value) -> Result<(), String> {
    let headers: Vec<(String, String)> = parsed["h"]
        .as_array()
        .unwrap()
        .iter()
        .map(|kv| {
            (
                kv[0].as_str().unwrap().to_owned(),
                kv[1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    if !parsed["d"].as_array().unwrap().is_empty() {
        return Err(format!("email parser defects {}", parsed["d"]));
    }
    let count = |k: &str| headers.iter().filter(|(n, _)| n == k).count();
    if count("Metadata-Version") != 1 {
        return Err("not one Metadata-Version".into());
    }
    let deps: Vec<String> = headers
        .iter()
        .filter(|(k, _)| k == "Requires-Dist")
        .map(|(_, v)| v.clone())
        .collect();
    if deps != w.project.dependencies || deps.len() != w.case.dependencies {
        return Err(format!("Requires-Dist {deps:?}"));
    }
    let rp: Vec<&str> = headers
        .iter()
        .filter(|(k, _)| k == "Requires-Python")
        .map(|(_, v)| v.as_str())
        .collect();
    if rp
        != w.project
            .requires_python
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    {
        return Err(format!("Requires-Python {rp:?}"));
    }
    let rest: Vec<(String, String)> = headers
        .into_iter()
        .filter(|(k, _)| {
            !["Metadata-Version", "Requires-Dist", "Requires-Python"].contains(&k.as_str())
        })
        .collect();
    let want = expected_headers(&w.case);
    if rest != want {
        return Err(format!("headers {rest:?}, meant {want:?}"));
    }
    let body = parsed["b"].as_str().unwrap();
    let want_body = match &w.case.readme {
        Some((b, _)) if !b.is_empty() && !b.ends_with('\n') => format!("{b}\n"),
        Some((b, _)) => b.clone(),
        None => String::new(),
    };
    if body != want_body {
        return Err(format!("body {body:?}, meant {want_body:?}"));
    }
    let mut want_eps = serde_json::Map::new();
    for (group, items) in w.case.entry_points.iter().filter(|(_, i)| !i.is_empty()) {
        let section: serde_json::Map<String, Value> = items
            .iter()
            .map(|(n, v)| (n.clone(), json!(v.trim_matches(is_space))))
            .collect();
        want_eps.insert(group.clone(), Value::Object(section));
    }
    let got_eps = parsed.get("e").cloned().unwrap_or(json!({}));
    if got_eps != Value::Object(want_eps.clone()) {
        return Err(format!(
            "entry points {got_eps}, meant {}",
            Value::Object(want_eps)
        ));
    }
    Ok(())
}

#[test]
fn generated_fields_read_back_exactly() {
    const COUNT: usize = 8000;
    let dir = tempfile::tempdir().unwrap();
    let root = Utf8Path::from_path(dir.path()).unwrap();
    std::fs::create_dir(root.join("demo")).unwrap();
    std::fs::write(root.join("demo/__init__.py"), "").unwrap();
    let mut rng = Rng::new(0x4d45_5441);
    let (mut written, mut refused) = (Vec::new(), 0usize);
    for _ in 0..COUNT {
        let case = generate(&mut rng);
        std::fs::write(root.join("pyproject.toml"), &case.toml).unwrap();
        let Ok(project) = pyproject::load(root) else {
            refused += 1;
            continue;
        };
        let metadata = Metadata {
            project: &project,
            version: "1.0",
            license_files: &[],
        }
        .render()
        .unwrap_or_else(|e| {
            panic!(
                "pyproject.toml accepted, METADATA refused: {e}\n{}",
                case.toml
            )
        });
        let entry_points = entry_points_file(&project.entry_points);
        written.push(Written {
            case,
            metadata,
            entry_points,
            project,
        });
    }
    let inputs: Vec<String> = written
        .iter()
        .map(|w| json!({"m": w.metadata, "e": w.entry_points}).to_string())
        .collect();
    let parsed = crate::util::python::oracle(ORACLE, &inputs);
    assert_eq!(parsed.len(), written.len());
    let mut failures = Vec::new();
    for (w, line) in written.iter().zip(&parsed) {
        let value: Value = serde_json::from_str(line).unwrap();
        if let Err(why) = check(w, &value) {
            failures.push(format!("{why}\n--- pyproject.toml:\n{}", w.case.toml));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} accepted cases read back otherwise:\n{}",
        failures.len(),
        written.len(),
        failures[..failures.len().min(5)].join("\n\n")
    );
    eprintln!("{} accepted, {refused} refused", written.len());
    // Both outcomes are exercised in earnest.
    assert!(
        written.len() >= 2000 && refused > COUNT / 5,
        "{} accepted, {refused} refused",
        written.len()
    );
    let with_breaks = written
        .iter()
        .filter(|w| {
            w.case
                .description
                .as_deref()
                .is_some_and(|d| d.contains(['\r', '\n']))
        })
        .count();
    assert!(
        with_breaks > 50,
        "{with_breaks} accepted descriptions with line breaks"
    );
}
