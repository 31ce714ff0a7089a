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
