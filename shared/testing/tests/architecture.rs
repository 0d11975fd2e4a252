//! The architecture invariants of docs/ARCHITECTURE.md that Cargo alone does not state: what
//! each crate must never depend on (through any path of normal dependencies), and which
//! layers of a service may not import which.

use std::{
    collections::{BTreeSet, HashMap},
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
};

use serde_json::Value;

/// The workspace's root directory.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The workspace's `cargo metadata`, read once for every test of this file.
fn metadata() -> &'static Value {
    static METADATA: OnceLock<Value> = OnceLock::new();
    METADATA.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let output = Command::new(cargo)
            .args(["metadata", "--format-version", "1", "--locked"])
            .current_dir(workspace())
            .output()
            .expect("cargo metadata runs");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).expect("cargo metadata writes JSON")
    })
}

/// Every package that `package` links, through normal (not dev, not build) dependencies.
fn linked(package: &str) -> BTreeSet<String> {
    let metadata = metadata();
    let names: HashMap<&str, &str> = metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["name"].as_str().unwrap()))
        .collect();
    let nodes: HashMap<&str, &Value> = metadata["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let root = names
        .iter()
        .find(|(_, name)| **name == package)
        .map(|(id, _)| *id)
        .unwrap_or_else(|| panic!("no package {package}"));
    let mut seen = BTreeSet::new();
    let mut pending = vec![root];
    while let Some(id) = pending.pop() {
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let normal = dep["dep_kinds"].as_array().unwrap().iter().any(|k| k["kind"].is_null());
            let dep_id = dep["pkg"].as_str().unwrap();
            if normal && seen.insert(names[dep_id].to_owned()) {
                pending.push(dep_id);
            }
        }
    }
    seen
}

fn assert_never_links(package: &str, forbidden: &[&str]) {
    let linked = linked(package);
    let found: Vec<_> = forbidden.iter().filter(|f| linked.contains(**f)).collect();
    assert!(found.is_empty(), "{package} must never depend on {found:?}");
}

/// The web framework, the ORM and database driver, the Redis client and the async runtime.
const IO: &[&str] = &["poem", "poem-openapi", "hyper", "sea-orm", "sqlx", "redis", "tokio"];

#[test]
fn the_domain_values_and_the_wire_contract_do_no_io() {
    assert_never_links("checkout-domain", IO);
    assert_never_links("checkout-contract", IO);
}

#[test]
fn each_platform_crate_keeps_to_its_own_world() {
    assert_never_links("checkout-runtime", &["poem", "sea-orm", "redis"]);
    assert_never_links("checkout-outbox", &["poem", "sea-orm", "sqlx", "redis"]);
    assert_never_links("checkout-db", &["poem", "redis"]);
    assert_never_links("checkout-bus", &["poem", "sea-orm"]);
    assert_never_links("checkout-auth", &["poem", "sea-orm", "redis"]);
    assert_never_links("checkout-http", &["sea-orm", "redis"]);
}

/// Every package the release build of `package` links, as cargo resolves it for that build:
/// unlike the workspace's metadata, a feature only its dev-dependencies turn on (the mocks
/// of `checkout-outbox`) is off.
fn linked_by_release(package: &str) -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "tree", "--locked", "-e", "normal", "--prefix", "none", "--format", "{p}", "-p", package,
        ])
        .current_dir(workspace())
        .output()
        .expect("cargo tree runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn no_service_links_the_test_support() {
    for service in ["order", "voucher"] {
        let linked = linked_by_release(service);
        // The walk reaches what the service does link, through the shared crates.
        assert!(linked.contains("sea-orm") && linked.contains("tokio") && linked.contains("checkout-http"));
        assert!(
            !linked.contains("checkout-testing") && !linked.contains("mockall"),
            "{service} links test support"
        );
    }
}

/// The Rust files under `dir`, recursively.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The files under `dir` that name any of `forbidden` as a path (`poem::`, `use poem;`).
fn importing(dir: &Path, forbidden: &[&str]) -> Vec<String> {
    sources(dir)
        .into_iter()
        .flat_map(|file| {
            let text = std::fs::read_to_string(&file).unwrap();
            forbidden
                .iter()
                .filter(|name| text.contains(&format!("{name}::")) || text.contains(&format!("use {name};")))
                .map(|name| format!("{} imports {name}", file.display()))
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_application_layer_imports_no_framework_and_the_api_layer_no_adapter() {
    let root = workspace();
    for service in ["order", "voucher"] {
        let application = importing(
            &root.join(service).join("src/application"),
            &[
                "poem",
                "poem_openapi",
                "sea_orm",
                "sea_orm_migration",
                "sqlx",
                "redis",
                "checkout_http",
                "checkout_db",
                "checkout_bus",
            ],
        );
        assert!(application.is_empty(), "{application:#?}");
        let api = importing(&root.join(service).join("src/api"), &["crate::infrastructure"]);
        assert!(api.is_empty(), "{api:#?}");
    }
}

#[test]
fn the_import_check_finds_an_import() {
    let dir = std::env::temp_dir().join(format!("architecture-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("inner")).unwrap();
    std::fs::write(dir.join("inner/a.rs"), "use poem::Endpoint;\n").unwrap();
    std::fs::write(dir.join("b.rs"), "fn f() {}\n").unwrap();
    let found = importing(&dir, &["poem", "redis"]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].ends_with("a.rs imports poem"), "{found:?}");
}
