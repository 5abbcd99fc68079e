//! The CycloneDX SBOM of the npm packages bundled into the web UI, which the
//! wheel ships under `.dist-info/sboms/` (PEP 770).
//!
//! The UI build (Vite, with the `bundleGraph` plugin of
//! `frontend/bundle-graph.ts`) records which modules went into which output
//! file. [`plan`] turns that record, the lockfile and the built files' hashes
//! into the document: one `library` component per npm package whose code is
//! in the bundle (not the whole lockfile: build tools and test tools stay
//! out), with the output files that carry it, and one `file` component per
//! file of the build with its sha256. The document is a pure function of
//! those inputs (no timestamp, a serial number derived from the content), so
//! the same build gives the same bytes. [`check`] is what `verify` runs on a
//! wheel: the files listed are exactly the built files, byte for byte.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, bail, ensure};
use base64::Engine;
use camino::Utf8Path;
use serde_json::{Value, json};

use crate::util::hash::{hex, sha256};

/// The SBOM's file name, in `python/sboms/` and in the wheel's `.dist-info/sboms/`.
pub const FILE_NAME: &str = "invokeai-ui.cdx.json";

/// The CycloneDX version written and accepted.
pub const SPEC_VERSION: &str = "1.6";

/// The property naming an output file that carries a package's code.
const BUNDLED_IN: &str = "invokeai:bundled-in";

/// What the bundler recorded: each output file and the modules in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    pub outputs: Vec<(String, Vec<String>)>,
}

impl Graph {
    /// Read what `frontend/bundle-graph.ts` writes.
    pub fn parse(text: &str) -> Result<Graph> {
        let doc: Value = serde_json::from_str(text).context("not JSON")?;
        ensure!(
            doc.get("version").and_then(Value::as_u64) == Some(1),
            "unknown format (expected \"version\": 1)"
        );
        let outputs = doc
            .get("outputs")
            .and_then(Value::as_array)
            .context("no \"outputs\" array")?;
        let mut out = Vec::new();
        for o in outputs {
            let file = o
                .get("file")
                .and_then(Value::as_str)
                .context("an output without \"file\"")?;
            let modules = o
                .get("modules")
                .and_then(Value::as_array)
                .with_context(|| format!("output {file} has no \"modules\""))?
                .iter()
                .map(|m| m.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .with_context(|| format!("output {file}: a module id is not a string"))?;
            out.push((file.to_owned(), modules));
        }
        Ok(Graph { outputs: out })
    }
}

/// One package of `package-lock.json` (lockfile version 2 or 3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locked {
    pub name: String,
    pub version: String,
    pub resolved: Option<String>,
    pub integrity: Option<String>,
    pub license: Option<String>,
}

/// `package-lock.json`: the root's name and every installed package by its
/// folder (`node_modules/a`, `node_modules/a/node_modules/@s/b`, or for a
/// package linked from elsewhere, a workspace or a `file:` folder, that
/// folder: `packages/ui-kit`, `../shared`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lockfile {
    pub root_name: String,
    pub packages: BTreeMap<String, Locked>,
}

impl Lockfile {
    pub fn parse(text: &str) -> Result<Lockfile> {
        let doc: Value = serde_json::from_str(text).context("not JSON")?;
        let version = doc.get("lockfileVersion").and_then(Value::as_u64);
        ensure!(
            matches!(version, Some(2 | 3)),
            "lockfileVersion {version:?} has no \"packages\" map; regenerate it with npm 7 or newer"
        );
        let packages = doc
            .get("packages")
            .and_then(Value::as_object)
            .context("no \"packages\" map")?;
        let root_name = packages
            .get("")
            .and_then(|r| r.get("name"))
            .and_then(Value::as_str)
            .unwrap_or("frontend")
            .to_owned();
        let mut out = BTreeMap::new();
        for (key, entry) in packages {
            // The root, and a link (its target has an entry of its own).
            if key.is_empty() || entry.get("link").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let str_of = |k: &str| entry.get(k).and_then(Value::as_str).map(str::to_owned);
            // An alias (`"x": "npm:y@1"`) is installed under its alias; `name` is the real one.
            let name = str_of("name").unwrap_or_else(|| package_name_of(key).to_owned());
            let Some(version) = str_of("version") else {
                bail!("the entry {key:?} has no version");
            };
            out.insert(
                key.clone(),
                Locked {
                    name,
                    version,
                    resolved: str_of("resolved"),
                    integrity: str_of("integrity"),
                    license: str_of("license"),
                },
            );
        }
        Ok(Lockfile {
            root_name,
            packages: out,
        })
    }
}

/// The package name at the end of a lockfile key (`node_modules/@s/b` → `@s/b`).
fn package_name_of(key: &str) -> &str {
    key.rsplit_once("node_modules/").map_or(key, |(_, t)| t)
}

/// Where a module's code comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Origin {
    /// The UI's own sources.
    FirstParty,
    /// The package installed at this lockfile key.
    Package(String),
}

/// Attribute a module id (relative to `frontend/`, or a virtual id starting
/// with NUL) to the UI itself or to an installed package.
fn origin(id: &str, lock: &Lockfile) -> Result<Origin, String> {
    let path = id.split(['?', '#']).next().unwrap_or(id);
    if let Some(virtual_id) = path.strip_prefix('\0') {
        // A module the bundler made up (Vite's preload helpers, a runtime):
        // its code is that of the package its id starts with.
        let id = virtual_id.trim_start_matches('/');
        let mut parts = id.split('/');
        let first = parts.next().unwrap_or("");
        let name = if first.starts_with('@') {
            format!("{first}/{}", parts.next().unwrap_or(""))
        } else {
            first.to_owned()
        };
        let key = format!("node_modules/{name}");
        if lock.packages.contains_key(&key) {
            return Ok(Origin::Package(key));
        }
        return Err(format!(
            "the bundle holds the virtual module {virtual_id:?}, and no package of the lockfile is named {name:?}: say in xtask/src/sbom.rs which package its code comes from"
        ));
    }
    let segments: Vec<&str> = path.split('/').collect();
    let Some(first) = segments.iter().position(|s| *s == "node_modules") else {
        // A linked package (a workspace, a `file:` folder): the bundler sees
        // its real path, which is the folder its lockfile entry is keyed by.
        let linked = lock
            .packages
            .keys()
            .filter(|k| !k.contains("node_modules/"))
            .filter(|k| path.starts_with(k.as_str()) && path[k.len()..].starts_with('/'))
            .max_by_key(|k| k.len());
        if let Some(key) = linked {
            return Ok(Origin::Package(key.clone()));
        }
        if segments.first() == Some(&"..") {
            return Err(format!(
                "the bundle holds {id:?}, which is outside frontend/ and not an installed package: an SBOM cannot say what it is"
            ));
        }
        return Ok(Origin::FirstParty);
    };
    // node_modules/a[/node_modules/@s/b]...: the deepest package folder.
    let mut key: Vec<&str> = Vec::new();
    let mut i = first;
    while segments.get(i) == Some(&"node_modules") {
        let Some(name) = segments.get(i + 1) else {
            break;
        };
        key.push("node_modules");
        key.push(name);
        i += 2;
        if name.starts_with('@') {
            let Some(rest) = segments.get(i) else { break };
            key.push(rest);
            i += 1;
        }
    }
    let prefix = segments[..first].join("/");
    let key = if prefix.is_empty() {
        key.join("/")
    } else {
        format!("{prefix}/{}", key.join("/"))
    };
    if lock.packages.contains_key(&key) {
        Ok(Origin::Package(key))
    } else {
        Err(format!(
            "the bundle holds {id:?} from {key}, which frontend/package-lock.json does not list; run `cargo xtask frontend install` so that node_modules matches the lockfile"
        ))
    }
}

/// `pkg:npm/%40scope/name@version`.
pub fn purl(name: &str, version: &str) -> String {
    let name = match name.strip_prefix('@') {
        Some(rest) => format!("%40{rest}"),
        None => name.to_owned(),
    };
    format!("pkg:npm/{name}@{version}")
}

/// An npm integrity string (`sha512-<base64> ...`) as CycloneDX hashes.
fn hashes_of(integrity: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for part in integrity.split_whitespace() {
        let Some((alg, b64)) = part.split_once('-') else {
            continue;
        };
        let alg = match alg {
            "sha512" => "SHA-512",
            "sha384" => "SHA-384",
            "sha256" => "SHA-256",
            "sha1" => "SHA-1",
            _ => continue,
        };
        let b64 = b64.split('?').next().unwrap_or(b64);
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(b64) {
            out.push(json!({ "alg": alg, "content": hex(&bytes) }));
        }
    }
    out
}

/// A package.json `license` as CycloneDX licenses: an SPDX expression when it
/// is one, else the text as a name.
fn licenses_of(license: &str) -> Value {
    if spdx::Expression::parse(license).is_ok() {
        json!([{ "expression": license }])
    } else {
        json!([{ "license": { "name": license } }])
    }
}

/// The SBOM of a build: `files` are the built UI's files (path relative to
/// its folder, sha256 hex), sorted.
pub fn plan(graph: &Graph, lock: &Lockfile, files: &[(String, String)]) -> Result<String> {
    let known: BTreeSet<&str> = files.iter().map(|(f, _)| f.as_str()).collect();
    // Lockfile key → output files carrying its code.
    let mut bundled: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, modules) in &graph.outputs {
        ensure!(
            known.contains(file.as_str()),
            "the bundle graph names {file}, which the build did not write"
        );
        for id in modules {
            match origin(id, lock).map_err(anyhow::Error::msg)? {
                Origin::FirstParty => {}
                Origin::Package(key) => {
                    bundled.entry(key).or_default().insert(file.clone());
                }
            }
        }
    }
    let app_ref = lock.root_name.clone();
    // One component per purl: the same version installed in two folders is
    // one package, carried in the union of their files.
    let mut by_purl: BTreeMap<String, (&Locked, BTreeSet<String>)> = BTreeMap::new();
    for (key, carried_in) in bundled {
        let p = &lock.packages[&key];
        by_purl
            .entry(purl(&p.name, &p.version))
            .or_insert_with(|| (p, BTreeSet::new()))
            .1
            .extend(carried_in);
    }
    let mut components: Vec<Value> = Vec::new();
    for (purl, (p, carried_in)) in &by_purl {
        let mut c = json!({
            "type": "library",
            "bom-ref": purl,
            "name": p.name,
            "version": p.version,
            "purl": purl,
        });
        if let Some(h) = p
            .integrity
            .as_deref()
            .map(hashes_of)
            .filter(|h| !h.is_empty())
        {
            c["hashes"] = Value::Array(h);
        }
        if let Some(l) = &p.license {
            c["licenses"] = licenses_of(l);
        }
        if let Some(url) = &p.resolved {
            c["externalReferences"] = json!([{ "type": "distribution", "url": url }]);
        }
        c["properties"] = Value::Array(
            carried_in
                .iter()
                .map(|f| json!({ "name": BUNDLED_IN, "value": f }))
                .collect(),
        );
        components.push(c);
    }
    for (file, sha) in files {
        components.push(json!({
            "type": "file",
            "bom-ref": format!("file:{file}"),
            "name": file,
            "hashes": [{ "alg": "SHA-256", "content": sha }],
        }));
    }
    let mut doc = json!({
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "version": 1,
        "metadata": {
            "component": {
                "type": "application",
                "bom-ref": app_ref,
                "name": lock.root_name,
                "description": "The InvokeAI web UI as built into the invokeai package (invokeai/frontend/web/dist/): the npm packages whose code it bundles, and its files",
            },
            "tools": { "components": [{
                "type": "application",
                "name": "xtask",
                "description": "InvokeAI's release tooling (cargo xtask frontend build), from the bundler's module graph and package-lock.json",
            }]},
        },
        "components": components,
        "dependencies": [{
            "ref": app_ref,
            "dependsOn": by_purl.keys().collect::<Vec<_>>(),
        }],
    });
    let body = serde_json::to_string(&doc).expect("JSON values serialise");
    doc["serialNumber"] = Value::String(serial_number(body.as_bytes()));
    let mut text = serde_json::to_string_pretty(&doc).expect("JSON values serialise");
    text.push('\n');
    Ok(text)
}

/// `urn:uuid:` with a version 8 (RFC 9562) UUID made of the content's sha256:
/// the same content, the same serial number.
fn serial_number(content: &[u8]) -> String {
    let mut b = sha256(content);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b[..16]);
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// What [`check`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// `name@version` of each bundled package.
    pub packages: Vec<String>,
    pub files: usize,
}

/// Check an SBOM against the built UI it describes: `files` (path relative
/// to the UI folder, sha256 hex) must be exactly its file components, and
/// every package must name its version, purl and the files that carry it.
pub fn check(text: &str, files: &[(String, String)]) -> Result<Checked> {
    let doc: Value = serde_json::from_str(text).context("not JSON")?;
    ensure!(
        doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX"),
        "not a CycloneDX document (bomFormat)"
    );
    let spec = doc.get("specVersion").and_then(Value::as_str);
    ensure!(
        spec == Some(SPEC_VERSION),
        "specVersion is {spec:?}, expected {SPEC_VERSION:?}"
    );
    let components = doc
        .get("components")
        .and_then(Value::as_array)
        .context("no components")?;
    let mut listed: BTreeMap<String, String> = BTreeMap::new();
    let mut packages = Vec::new();
    let mut carriers: Vec<(String, String)> = Vec::new();
    for c in components {
        let field = |k: &str| c.get(k).and_then(Value::as_str);
        match field("type") {
            Some("file") => {
                let name = field("name").context("a file component without a name")?;
                let sha = c
                    .get("hashes")
                    .and_then(Value::as_array)
                    .and_then(|h| {
                        h.iter()
                            .find(|h| h.get("alg").and_then(Value::as_str) == Some("SHA-256"))
                    })
                    .and_then(|h| h.get("content").and_then(Value::as_str))
                    .with_context(|| format!("file component {name} has no SHA-256"))?;
                ensure!(
                    listed.insert(name.to_owned(), sha.to_owned()).is_none(),
                    "file component {name} is listed twice"
                );
            }
            Some("library") => {
                let name = field("name").context("a library component without a name")?;
                let version =
                    field("version").with_context(|| format!("library {name} has no version"))?;
                ensure!(
                    field("purl") == Some(purl(name, version).as_str()),
                    "library {name}@{version}: its purl is {:?}, expected {:?}",
                    field("purl"),
                    purl(name, version)
                );
                let in_files: Vec<&str> = c
                    .get("properties")
                    .and_then(Value::as_array)
                    .map(|ps| {
                        ps.iter()
                            .filter(|p| p.get("name").and_then(Value::as_str) == Some(BUNDLED_IN))
                            .filter_map(|p| p.get("value").and_then(Value::as_str))
                            .collect()
                    })
                    .unwrap_or_default();
                ensure!(
                    !in_files.is_empty(),
                    "library {name}@{version} names no file of the bundle ({BUNDLED_IN})"
                );
                for f in in_files {
                    carriers.push((format!("{name}@{version}"), f.to_owned()));
                }
                packages.push(format!("{name}@{version}"));
            }
            other => bail!("a component of type {other:?}; this SBOM holds libraries and files"),
        }
    }
    for (path, sha) in files {
        match listed.remove(path) {
            None => bail!("{path} is in the built UI but not in the SBOM"),
            Some(said) => ensure!(
                &said == sha,
                "{path}: the SBOM says sha256 {said}, the file has {sha}; the SBOM is from another build of the UI (rebuild it: cargo xtask frontend build)"
            ),
        }
    }
    if let Some(extra) = listed.keys().next() {
        bail!("the SBOM lists {extra}, which is not in the built UI");
    }
    let names: BTreeSet<&str> = files.iter().map(|(f, _)| f.as_str()).collect();
    for (package, file) in &carriers {
        ensure!(
            names.contains(file.as_str()),
            "{package} is said to be in {file}, which is not in the built UI"
        );
    }
    Ok(Checked {
        packages,
        files: files.len(),
    })
}

/// The files of a built UI folder, relative to it, sorted, with their sha256.
pub fn hash_files(dir: &Utf8Path) -> Result<Vec<(String, String)>> {
    fn walk(root: &Utf8Path, dir: &Utf8Path, out: &mut Vec<(String, String)>) -> Result<()> {
        for entry in dir
            .read_dir_utf8()
            .with_context(|| format!("cannot list {dir}"))?
        {
            let entry = entry.with_context(|| format!("cannot list {dir}"))?;
            let kind = entry
                .file_type()
                .with_context(|| format!("cannot stat {}", entry.path()))?;
            if kind.is_dir() {
                walk(root, entry.path(), out)?;
            } else {
                let bytes = std::fs::read(entry.path())
                    .with_context(|| format!("cannot read {}", entry.path()))?;
                let rel = entry.path().strip_prefix(root).expect("under root");
                out.push((rel.as_str().replace('\\', "/"), hex(&sha256(&bytes))));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out)?;
    out.sort();
    Ok(out)
}

/// Write the SBOM of the UI just built: from the bundle graph at `graph`,
/// the lockfile and the files of `ui_dist`, to `target` (atomically).
pub fn write(
    graph: &Utf8Path,
    lockfile: &Utf8Path,
    ui_dist: &Utf8Path,
    target: &Utf8Path,
) -> Result<Vec<String>> {
    let graph_text = std::fs::read_to_string(graph).with_context(|| {
        format!("the UI build wrote no bundle graph at {graph}: frontend/vite.config.ts must keep the bundleGraph plugin of frontend/bundle-graph.ts")
    })?;
    let graph = Graph::parse(&graph_text).with_context(|| format!("{graph} is malformed"))?;
    let lock_text =
        std::fs::read_to_string(lockfile).with_context(|| format!("cannot read {lockfile}"))?;
    let lock = Lockfile::parse(&lock_text).with_context(|| format!("{lockfile} is malformed"))?;
    let files = hash_files(ui_dist)?;
    let text = plan(&graph, &lock, &files)
        .with_context(|| format!("cannot write the SBOM of the UI in {ui_dist}"))?;
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {dir}"))?;
    }
    crate::archive::atomic::write(target, text.as_bytes())?;
    Ok(check(&text, &files)?.packages)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"{
      "name": "invokeai-frontend", "lockfileVersion": 3,
      "packages": {
        "": { "name": "invokeai-frontend", "version": "0.0.0" },
        "node_modules/vite": { "version": "8.3.8", "resolved": "https://registry.npmjs.org/vite/-/vite-8.3.8.tgz",
          "integrity": "sha512-AAEC", "license": "MIT", "dev": true },
        "node_modules/@scope/lib": { "version": "1.0.0", "license": "Apache-2.0 OR MIT" },
        "node_modules/@scope/lib/node_modules/tiny": { "version": "2.0.0", "license": "Custom licence" },
        "node_modules/unused": { "version": "9.9.9" },
        "node_modules/alias": { "name": "real-name", "version": "3.0.0" },
        "node_modules/kit": { "resolved": "packages/kit", "link": true },
        "packages/kit": { "name": "kit", "version": "0.1.0", "license": "MIT" },
        "node_modules/shared": { "resolved": "../shared", "link": true },
        "../shared": { "name": "@org/shared", "version": "2.0.0" }
      }
    }"#;

    fn files() -> Vec<(String, String)> {
        vec![
            ("assets/a.css".into(), "11".repeat(32)),
            ("assets/a.js".into(), "22".repeat(32)),
            ("index.html".into(), "33".repeat(32)),
        ]
    }

    fn graph(modules: &[&str]) -> Graph {
        let m: Vec<String> = modules.iter().map(|s| s.to_string()).collect();
        Graph {
            outputs: vec![
                ("assets/a.css".into(), m.clone()),
                ("assets/a.js".into(), m),
            ],
        }
    }

    fn lock() -> Lockfile {
        Lockfile::parse(LOCK).unwrap()
    }

    #[test]
    fn lists_exactly_the_packages_whose_code_is_bundled() {
        let g = graph(&[
            "\0vite/modulepreload-polyfill.js",
            "index.html",
            "src/main.ts",
            "node_modules/@scope/lib/index.js",
            "node_modules/@scope/lib/node_modules/tiny/x.js?commonjs-proxy",
            "node_modules/alias/a.js",
            "packages/kit/index.js",
            "../shared/lib/x.js",
        ]);
        let text = plan(&g, &lock(), &files()).unwrap();
        let checked = check(&text, &files()).unwrap();
        assert_eq!(
            checked.packages,
            [
                "@org/shared@2.0.0",
                "@scope/lib@1.0.0",
                "kit@0.1.0",
                "real-name@3.0.0",
                "tiny@2.0.0",
                "vite@8.3.8"
            ]
        );
        assert!(!text.contains("unused"), "only what the bundle holds");
        let doc: Value = serde_json::from_str(&text).unwrap();
        let libs: Vec<&Value> = doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["type"] == "library")
            .collect();
        let scoped = libs.iter().find(|c| c["name"] == "@scope/lib").unwrap();
        assert_eq!(scoped["purl"], "pkg:npm/%40scope/lib@1.0.0");
        assert_eq!(scoped["licenses"][0]["expression"], "Apache-2.0 OR MIT");
        let tiny = libs.iter().find(|c| c["name"] == "tiny").unwrap();
        assert_eq!(tiny["licenses"][0]["license"]["name"], "Custom licence");
        let vite = libs.iter().find(|c| c["name"] == "vite").unwrap();
        assert_eq!(vite["hashes"][0]["content"], "000102");
        assert_eq!(vite["externalReferences"][0]["type"], "distribution");
        assert_eq!(
            vite["properties"],
            json!([
                { "name": BUNDLED_IN, "value": "assets/a.css" },
                { "name": BUNDLED_IN, "value": "assets/a.js" }
            ])
        );
        assert_eq!(
            doc["dependencies"][0]["dependsOn"]
                .as_array()
                .unwrap()
                .len(),
            6
        );
    }

    #[test]
    fn the_same_inputs_give_the_same_bytes_and_serial_number() {
        let g = graph(&["node_modules/@scope/lib/index.js"]);
        let a = plan(&g, &lock(), &files()).unwrap();
        assert_eq!(a, plan(&g, &lock(), &files()).unwrap());
        let mut other = files();
        other[2].1 = "44".repeat(32);
        let b = plan(&g, &lock(), &other).unwrap();
        let serial = |t: &str| serde_json::from_str::<Value>(t).unwrap()["serialNumber"].clone();
        assert_ne!(serial(&a), serial(&b));
        let s = serial(&a);
        let s = s.as_str().unwrap();
        assert!(s.starts_with("urn:uuid:") && s.len() == 45, "{s}");
        assert_eq!(&s[23..24], "8", "a version 8 UUID: {s}");
    }

    #[test]
    fn what_cannot_be_attributed_is_refused_by_name() {
        for (id, says) in [
            ("\0unknown-helper.js", "no package of the lockfile is named"),
            ("node_modules/missing/x.js", "node_modules/missing"),
            ("../elsewhere/x.js", "outside frontend/"),
        ] {
            let err = plan(&graph(&[id]), &lock(), &files()).unwrap_err();
            assert!(format!("{err:#}").contains(says), "{id}: {err:#}");
        }
        let stray = Graph {
            outputs: vec![("assets/gone.js".into(), vec![])],
        };
        let err = plan(&stray, &lock(), &files()).unwrap_err();
        assert!(err.to_string().contains("assets/gone.js"), "{err}");
    }

    #[test]
    fn check_catches_a_stale_or_tampered_sbom() {
        let text = plan(&graph(&["node_modules/vite/x.js"]), &lock(), &files()).unwrap();
        let mut rebuilt = files();
        rebuilt[1].1 = "55".repeat(32);
        let err = check(&text, &rebuilt).unwrap_err();
        assert!(err.to_string().contains("another build"), "{err}");
        let mut more = files();
        more.push(("assets/b.js".into(), "66".repeat(32)));
        assert!(
            check(&text, &more)
                .unwrap_err()
                .to_string()
                .contains("assets/b.js")
        );
        let fewer = &files()[1..];
        assert!(
            check(&text, fewer)
                .unwrap_err()
                .to_string()
                .contains("assets/a.css")
        );
        let wrong_purl = text.replace("pkg:npm/vite@8.3.8\"", "pkg:npm/vite@9.0.0\"");
        assert!(
            check(&wrong_purl, &files())
                .unwrap_err()
                .to_string()
                .contains("purl")
        );
        assert!(check("{}", &files()).is_err());
    }

    #[test]
    fn old_lockfiles_and_odd_graphs_are_refused() {
        let err = Lockfile::parse(r#"{"lockfileVersion": 1, "dependencies": {}}"#).unwrap_err();
        assert!(err.to_string().contains("npm 7"), "{err}");
        assert!(Graph::parse(r#"{"version": 2, "outputs": []}"#).is_err());
        assert!(Graph::parse(r#"{"version": 1, "outputs": [{"file": "a.js"}]}"#).is_err());
        let g = Graph::parse(
            r#"{"version": 1, "outputs": [{"file": "a.js", "modules": ["src/x.ts"]}]}"#,
        )
        .unwrap();
        assert_eq!(
            g.outputs,
            [("a.js".to_owned(), vec!["src/x.ts".to_owned()])]
        );
    }

    #[test]
    fn purls_encode_the_scope() {
        assert_eq!(purl("vite", "8.3.8"), "pkg:npm/vite@8.3.8");
        assert_eq!(purl("@a/b", "1.0.0-rc.1"), "pkg:npm/%40a/b@1.0.0-rc.1");
    }
}
