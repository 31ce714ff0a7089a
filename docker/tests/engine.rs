//! The engine against the real dockerd (scripts/deps.sh starts it), with images built here from
//! busybox-static — no registry: a busybox image, and one with no shell at all.

use futures::StreamExt;
use pier_docker::logs::{LogRequest, LogStream};
use pier_docker::{DockerError, Engine, LABEL_OWNER};
use pier_proto::containers::{ContainerAction, ContainerState, NewContainer, PortMapping, Protocol, RestartPolicy};
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

fn request(name: &str, image: &str, command: &[&str]) -> NewContainer {
    NewContainer {
        engine_id: None,
        name: name.into(),
        image: image.into(),
        command: command.iter().map(|s| s.to_string()).collect(),
        env: vec![("GREETING".into(), "hello; $(not run)".into())],
        ports: vec![],
        mounts: vec![],
        restart: RestartPolicy::No,
        memory_mib: Some(32),
        cpus: Some(0.5),
        labels: vec![("team".into(), "web".into())],
        start: true,
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
