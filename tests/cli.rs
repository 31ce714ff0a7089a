//! Operator errors: each names what is wrong, exits non-zero, and never panics.

mod common;

use common::{free_port, pier, run};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn unknown_config_file_key_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pier.toml");
    std::fs::write(&file, "listen = \"127.0.0.1:1\"\n[jobs]\nwrokers = 2\n").unwrap();
    let out = run(pier().args(["--config"]).arg(&file).arg("migrate").env("PIER_DATA", dir.path()));
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("wrokers") && err.contains("pier.toml"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn malformed_and_unknown_environment_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(pier().arg("migrate").env("PIER_DATA", dir.path()).env("PIER_LISTEN", "everywhere"));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("PIER_LISTEN"), "{}", stderr(&out));
    let out = run(pier().arg("migrate").env("PIER_DATA", dir.path()).env("PIER_WORKER", "3"));
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("PIER_WORKER") && err.contains("PIER_WORKERS"), "{err}");
}

#[test]
fn a_data_dir_that_is_a_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let out = run(pier().arg("migrate").env("PIER_DATA", &file));
    assert!(!out.status.success());
    assert!(stderr(&out).contains("not a directory"), "{}", stderr(&out));
}

#[test]
fn a_port_in_use_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let _taken = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    let out = run(pier().arg("serve").env("PIER_DATA", dir.path()).env("PIER_LISTEN", format!("127.0.0.1:{port}")));
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains(&format!("127.0.0.1:{port}")) && err.contains("already in use"), "{err}");
}

#[test]
fn migrate_then_doctor_reports_each_component() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(pier().arg("migrate").env("PIER_DATA", dir.path()));
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("pier.db").exists());
    // Docker pointed at a socket that does not exist: doctor says so, how to fix, and exits 1.
    let out = run(pier()
        .args(["doctor", "--json"])
        .env("PIER_DATA", dir.path())
        .env("PIER_LIBVIRT_URI", "")
        .env("PIER_NGINX_BIN", "")
        .env("PIER_DOCKER_HOST", format!("unix://{}/no-docker.sock", dir.path().display())));
    assert!(!out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let status = |c: &str| {
        report["checks"].as_array().unwrap().iter().find(|x| x["component"] == c).map(|x| x["status"].clone()).unwrap()
    };
    assert_eq!(status("database"), "ok");
    assert_eq!(status("data_dir"), "ok");
    assert_eq!(status("docker"), "fail");
    assert_eq!(status("libvirt"), "not_configured");
    assert_eq!(status("smtp"), "not_configured");
    assert_eq!(report["status"], "degraded");
    let docker = report["checks"].as_array().unwrap().iter().find(|x| x["component"] == "docker").unwrap();
    assert!(docker["fix"].as_str().unwrap().contains("dockerd"));
}

#[test]
fn admin_create_reads_the_password_from_stdin_and_explains_refusals() {
    use std::io::Write;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    let create = |name: &str, password: &str| {
        let mut child = pier()
            .args(["admin", "create", "--username", name, "--email", &format!("{name}@example.com"), "--password-stdin"])
            .env("PIER_DATA", dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let weak = create("root", "short");
    assert!(!weak.status.success());
    assert!(stderr(&weak).contains("at least 12 characters"), "{}", stderr(&weak));
    let ok = create("root", "correct horse battery");
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(String::from_utf8_lossy(&ok.stdout).contains("Created administrator \"root\""));
    let taken = create("root", "correct horse battery");
    assert!(!taken.status.success());
    assert!(stderr(&taken).contains("taken"), "{}", stderr(&taken));
}
