//! The engine against the real dockerd (scripts/deps.sh starts it), with images built here from
//! busybox-static — no registry: a busybox image, and one with no shell at all.

use futures::StreamExt;
use pier_docker::logs::{LogRequest, LogStream};
use pier_docker::{DockerError, Engine, LABEL_OWNER};
use pier_proto::containers::{ContainerAction, ContainerState, NewContainer, PortMapping, Protocol};
use std::collections::HashMap;
use std::time::Duration;

use pier_docker::test_images::{BUSYBOX, NO_SHELL};

fn engine_or_skip() -> Option<Engine> {
    if std::path::Path::new("/var/run/docker.sock").exists() {
        pier_docker::test_images::build();
        return Some(Engine::connect("unix:///var/run/docker.sock").unwrap());
    }
    assert!(std::env::var("PIER_TEST_REQUIRE_ALL").is_err(), "dockerd must be running");
    eprintln!("skipping: dockerd is not running (PIER_TEST_REQUIRE_ALL unset)");
    None
}

/// The test request with an environment value and labels worth checking, and limits.
fn request(name: &str, image: &str, command: &[&str]) -> NewContainer {
    NewContainer {
        env: vec![("GREETING".into(), "hello; $(not run)".into())],
        memory_mib: Some(32),
        cpus: Some(0.5),
        labels: vec![("team".into(), "web".into())],
        ..pier_docker::test_images::request(name, image, command)
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", std::process::id())
}

async fn until_state(e: &Engine, id: &str, want: ContainerState) -> ContainerState {
    let mut last = ContainerState::Created;
    for _ in 0..100 {
        last = e.container(id).await.unwrap().state;
        if last == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last
}

#[tokio::test]
async fn containers_run_act_and_go_with_their_labels_ports_and_limits() {
    let Some(e) = engine_or_skip() else { return };
    let info = e.info().await.unwrap();
    assert!(!info.version.is_empty() && info.images >= 2, "{info:?}");

    let name = unique("pier-life");
    let new = request(&name, BUSYBOX, &["sh", "-c", "echo \"$GREETING\"; echo oops >&2; exec sleep 600"]);
    let id = e.create_container(&new, HashMap::from([(LABEL_OWNER.to_string(), "42".to_string())])).await.unwrap();
    let c = e.container(&id).await.unwrap();
    assert_eq!((c.name.as_str(), c.state), (name.as_str(), ContainerState::Running));
    assert_eq!(c.labels.get(LABEL_OWNER).map(String::as_str), Some("42"));
    assert_eq!(c.labels.get("team").map(String::as_str), Some("web"));

    // Logs: stdout and stderr apart; the environment value arrived whole, unexpanded by Pier.
    let chunks: Vec<_> = e.logs(&id, LogRequest { tail: Some(10), ..Default::default() }).collect().await;
    let chunks: Vec<_> = chunks.into_iter().map(Result::unwrap).collect();
    assert!(chunks.iter().any(|c| c.stream == LogStream::Stdout && c.text.contains("hello; $(not run)")), "{chunks:?}");
    assert!(chunks.iter().any(|c| c.stream == LogStream::Stderr && c.text.contains("oops")), "{chunks:?}");

    // Each action, as Docker reports it afterwards.
    e.act(&id, ContainerAction::Pause).await.unwrap();
    assert_eq!(e.container(&id).await.unwrap().state, ContainerState::Paused);
    e.act(&id, ContainerAction::Unpause).await.unwrap();
    assert_eq!(e.container(&id).await.unwrap().state, ContainerState::Running);
    e.act(&id, ContainerAction::Kill).await.unwrap();
    assert_eq!(until_state(&e, &id, ContainerState::Exited).await, ContainerState::Exited);
    e.act(&id, ContainerAction::Start).await.unwrap();
    e.act(&id, ContainerAction::Restart).await.unwrap();
    assert_eq!(e.container(&id).await.unwrap().state, ContainerState::Running);
    // Unpausing a running container is refused in Docker's words, not silently accepted.
    assert!(matches!(e.act(&id, ContainerAction::Unpause).await, Err(DockerError::Conflict(_) | DockerError::Engine(_))));

    e.remove_container(&id, true).await.unwrap();
    assert!(matches!(e.container(&id).await, Err(DockerError::NoContainer(_))));
    assert!(matches!(e.act(&id, ContainerAction::Start).await, Err(DockerError::NoContainer(_))));
}

#[tokio::test]
async fn published_ports_are_on_loopback_unless_chosen_and_a_taken_port_leaves_nothing() {
    let Some(e) = engine_or_skip() else { return };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let name = unique("pier-port");
    let mut new = request(&name, BUSYBOX, &["httpd", "-f", "-p", "80"]);
    new.ports = vec![PortMapping { host_port: port, container_port: 80, protocol: Protocol::Tcp, public: false }];
    let id = e.create_container(&new, HashMap::new()).await.unwrap();
    let c = e.container(&id).await.unwrap();
    assert_eq!(c.ports, new.ports, "bound to 127.0.0.1");
    // The same host port again: refused in Docker's words, and the half-made container is gone.
    let mut again = new.clone();
    again.name = unique("pier-port2");
    let err = e.create_container(&again, HashMap::new()).await.unwrap_err();
    assert!(err.to_string().contains("port is already allocated") || err.to_string().contains("address already in use"), "{err}");
    assert!(matches!(e.container(&again.name).await, Err(DockerError::NoContainer(_))));
    e.remove_container(&id, true).await.unwrap();
}

#[tokio::test]
async fn a_missing_image_and_a_shell_less_image_say_what_they_are() {
    let Some(e) = engine_or_skip() else { return };
    let err = e.create_container(&request(&unique("pier-none"), "pier-test/absent:1", &[]), HashMap::new()).await.unwrap_err();
    assert!(matches!(err, DockerError::NoImage(_)), "{err:?}");

    // No shell in the image: it still runs a static binary, and its logs still arrive.
    let name = unique("pier-noshell");
    let id = e.create_container(&request(&name, NO_SHELL, &["/busybox", "echo", "no shell here"]), HashMap::new()).await.unwrap();
    until_state(&e, &id, ContainerState::Exited).await;
    let text: String = e.logs(&id, LogRequest::default()).map(|c| c.unwrap().text).collect::<Vec<_>>().await.concat();
    assert_eq!(text.trim(), "no shell here");
    e.remove_container(&id, false).await.unwrap();
}

#[tokio::test]
async fn events_report_a_container_that_dies_with_its_exit_code() {
    let Some(e) = engine_or_skip() else { return };
    let events = e.container_events();
    tokio::pin!(events);
    let name = unique("pier-dies");
    let id = e.create_container(&request(&name, BUSYBOX, &["sh", "-c", "sleep 0.3; exit 3"]), HashMap::from([(LABEL_OWNER.to_string(), "9".to_string())])).await.unwrap();
    let died = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(ev) = events.next().await {
            let ev = ev.unwrap();
            if ev.id == id && ev.action == "die" {
                return ev;
            }
        }
        panic!("the event stream ended");
    })
    .await
    .expect("a die event within 20 s");
    assert_eq!((died.name.as_str(), died.exit_code), (name.as_str(), Some(3)));
    assert_eq!(died.labels.get(LABEL_OWNER).map(String::as_str), Some("9"));
    e.remove_container(&id, false).await.unwrap();
}

#[tokio::test]
async fn exec_runs_a_command_with_a_terminal_and_reports_a_missing_shell() {
    use tokio::io::AsyncWriteExt;
    let Some(e) = engine_or_skip() else { return };
    let name = unique("pier-exec");
    let id = e.create_container(&request(&name, BUSYBOX, &["sleep", "600"]), HashMap::new()).await.unwrap();
    let mut s = e.exec(&id, vec!["sh".into()], true, Some((100, 30))).await.unwrap();
    e.resize_exec(&s.exec_id, 120, 40).await.unwrap();
    s.input.write_all(b"echo $((6 * 7)); exit 5\n").await.unwrap();
    let mut seen = Vec::new();
    while let Some(chunk) = s.output.next().await {
        seen.extend(chunk.unwrap());
    }
    let text = String::from_utf8_lossy(&seen);
    assert!(text.contains("42"), "{text}");
    assert_eq!(e.exec_exit_code(&s.exec_id).await.unwrap(), Some(5));
    e.remove_container(&id, false).await.unwrap();

    // No shell in the image: the failure is Docker's words in the output or an error, never a hang.
    let id = e.create_container(&request(&unique("pier-exec-noshell"), NO_SHELL, &["/busybox", "sleep", "600"]), HashMap::new()).await.unwrap();
    match e.exec(&id, vec!["sh".into()], true, None).await {
        Ok(mut s) => {
            let mut out = Vec::new();
            while let Some(Ok(chunk)) = tokio::time::timeout(Duration::from_secs(10), s.output.next()).await.unwrap() {
                out.extend(chunk);
            }
            let code = e.exec_exit_code(&s.exec_id).await.unwrap();
            assert!(code.is_some_and(|c| c != 0), "{code:?} {}", String::from_utf8_lossy(&out));
        }
        Err(err) => assert!(err.to_string().contains("executable file not found") || err.to_string().contains("no such file"), "{err}"),
    }
    e.remove_container(&id, false).await.unwrap();
}

async fn drain(mut s: pier_docker::exec::ExecSession) {
    while s.output.next().await.is_some() {}
}

#[tokio::test]
async fn the_file_manager_works_without_a_shell_and_never_leaves_the_container() {
    use bytes::Bytes;
    use pier_proto::containers::FileKind;
    let Some(e) = engine_or_skip() else { return };
    let id = e.create_container(&request(&unique("pier-files"), NO_SHELL, &["/busybox", "sleep", "600"]), HashMap::new()).await.unwrap();
    let names = |list: Vec<pier_proto::containers::FileEntry>| list.into_iter().map(|f| f.name).collect::<Vec<_>>();

    let root = e.list_dir(&id, "/").await.unwrap();
    assert!(root.iter().any(|f| f.name == "busybox" && f.kind == FileKind::File), "{root:?}");
    // `..` cannot climb above the container's root.
    assert_eq!(names(e.list_dir(&id, "/../../..").await.unwrap()), names(root));

    // A text file written and read back with its mode; a name with a slash is refused.
    let text = "key = \"value\"; $(not run)\n";
    e.put_file(&id, "/", "notes.txt", 0o640, text.len() as u64, futures::stream::once(async move { Ok(Bytes::from(text)) })).await.unwrap();
    let (info, bytes) = e.read_file(&id, "/notes.txt", 1 << 20).await.unwrap();
    assert_eq!((String::from_utf8(bytes).unwrap().as_str(), info.mode), (text, 0o640));
    assert!(e.put_file(&id, "/", "../x", 0o644, 0, futures::stream::empty()).await.is_err());

    // A large binary file, streamed in chunks: too large for the editor, intact when read whole.
    let big: Vec<u8> = (0..3_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    let chunks: Vec<Result<Bytes, std::io::Error>> = big.chunks(65_536).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    e.make_dir(&id, "/", "data").await.unwrap();
    e.put_file(&id, "/data", "blob.bin", 0o600, big.len() as u64, futures::stream::iter(chunks)).await.unwrap();
    assert!(matches!(e.read_file(&id, "/data/blob.bin", 1 << 20).await, Err(DockerError::TooLarge { size: 3_000_000, .. })));
    assert_eq!(e.read_file(&id, "/data/blob.bin", 4 << 20).await.unwrap().1, big);
    assert_eq!(names(e.list_dir(&id, "/data").await.unwrap()), vec!["blob.bin"]);
    assert!(matches!(e.read_file(&id, "/data", 1 << 20).await, Err(DockerError::Invalid(_))), "a folder is not a file");

    // Rename and delete need a tool in the container: Pier brings its own busybox.
    e.rename_path(&id, "/data", "kept").await.unwrap();
    e.remove_path(&id, "/notes.txt").await.unwrap();
    let now = names(e.list_dir(&id, "/").await.unwrap());
    assert!(now.contains(&"kept".to_string()) && !now.contains(&"notes.txt".to_string()) && !now.contains(&"data".to_string()), "{now:?}");
    assert!(e.remove_path(&id, "/").await.is_err(), "the root is never removed");
    e.remove_container(&id, false).await.unwrap();

    // Symlinks pointing out (absolute, or climbing with ..) resolve inside the container.
    let id = e.create_container(&request(&unique("pier-links"), BUSYBOX, &["sleep", "600"]), HashMap::new()).await.unwrap();
    drain(e.exec(&id, vec!["sh".into(), "-c".into(), "mkdir /data && ln -s /etc /data/abs && ln -s ../../../../../../etc /data/up".into()], false, None).await.unwrap()).await;
    let host_etc: Vec<String> = std::fs::read_dir("/etc").unwrap().map(|d| d.unwrap().file_name().to_string_lossy().into_owned()).collect();
    for link in ["/data/abs", "/data/up"] {
        let seen = names(e.list_dir(&id, link).await.unwrap());
        assert!(seen.contains(&"hostname".to_string()), "{link}: the container's /etc: {seen:?}");
        assert!(!seen.contains(&"os-release".to_string()) && host_etc.contains(&"os-release".to_string()), "{link} must not show the host's /etc");
    }
    e.remove_container(&id, false).await.unwrap();
}
