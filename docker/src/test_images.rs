//! Images the test suites build on this machine from busybox-static (no registry here): a
//! busybox image, and one holding only the static binary (no shell). Test support, kept in the
//! crate so every suite builds the same images the same way.

use pier_proto::containers::{NewContainer, RestartPolicy};
use std::process::Command;

pub const BUSYBOX: &str = "pier-test/busybox:1";
pub const NO_SHELL: &str = "pier-test/noshell:1";

/// Builds both (docker's cache makes a rebuild instant). Panics with docker's words on failure.
pub fn build() {
    for (tag, dockerfile) in [
        (BUSYBOX, "FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]\n"),
        (NO_SHELL, "FROM scratch\nCOPY busybox /busybox\n"),
    ] {
        let ctx = std::env::temp_dir().join(format!("pier-image-{}-{}", std::process::id(), tag.replace(['/', ':'], "-")));
        std::fs::create_dir_all(&ctx).unwrap();
        std::fs::copy("/bin/busybox", ctx.join("busybox")).expect("busybox-static is installed (scripts/deps.sh test)");
        std::fs::write(ctx.join("Dockerfile"), dockerfile).unwrap();
        let out = Command::new("docker").args(["build", "-q", "-t", tag]).arg(&ctx).output().expect("the docker CLI runs");
        let _ = std::fs::remove_dir_all(&ctx);
        assert!(out.status.success(), "docker build {tag}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// A plain request for a test container: `command` as argv, no ports, mounts or limits, started.
pub fn request(name: &str, image: &str, command: &[&str]) -> NewContainer {
    NewContainer {
        engine_id: None,
        name: name.into(),
        image: image.into(),
        command: command.iter().map(|s| s.to_string()).collect(),
        env: vec![],
        ports: vec![],
        mounts: vec![],
        restart: RestartPolicy::No,
        memory_mib: None,
        cpus: None,
        labels: vec![],
        start: true,
    }
}

/// Whether dockerd is here to test against (the test images are then built). Without it a test
/// may skip, except under `PIER_TEST_REQUIRE_ALL` (CI), where a missing daemon fails.
pub fn docker_ready() -> bool {
    if std::path::Path::new("/var/run/docker.sock").exists() {
        build();
        return true;
    }
    assert!(std::env::var("PIER_TEST_REQUIRE_ALL").is_err(), "dockerd must be running");
    eprintln!("skipping: dockerd is not running (PIER_TEST_REQUIRE_ALL unset)");
    false
}

/// A tar holding `files` (name, contents), as the browser uploads a build context.
pub async fn tar_of(files: &[(&str, &str)]) -> Vec<u8> {
    let mut b = tokio_tar::Builder::new(Vec::new());
    for (name, text) in files {
        let mut h = tokio_tar::Header::new_gnu();
        h.set_size(text.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, text.as_bytes()).await.expect("in memory");
    }
    b.into_inner().await.expect("in memory")
}
