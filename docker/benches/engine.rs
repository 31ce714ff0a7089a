//! Container figures for the issue note (a benchmark, not a test):
//! `cargo bench -p pier-docker --bench engine` (needs dockerd and busybox-static).
//! - listing containers with 50 present (what the containers page does per engine);
//! - log throughput: a container writes 200,000 lines as fast as it can; Pier's log reader turns
//!   them into chunks (what the logs socket and the download send), against `docker logs`.

use futures::StreamExt;
use pier_docker::logs::LogRequest;
use pier_docker::test_images::BUSYBOX;
use pier_docker::Engine;
use pier_proto::containers::NewContainer;
use std::collections::HashMap;
use std::time::{Duration, Instant};

fn request(name: &str, command: &[&str]) -> NewContainer {
    NewContainer { start: false, ..pier_docker::test_images::request(name, BUSYBOX, command) }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    pier_docker::test_images::build();
    let e = Engine::connect("unix:///var/run/docker.sock").unwrap();
    let pid = std::process::id();

    let mut made = Vec::new();
    for i in 0..50 {
        made.push(e.create_container(&request(&format!("bench-{pid}-{i}"), &["true"]), HashMap::new()).await.unwrap());
    }
    let mut times = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        let n = e.list_containers().await.unwrap().len();
        times.push(t.elapsed());
        assert!(n >= 50);
    }
    println!("list containers (>= 50 present): median {:?}", median(times));

    let mut writer = request(&format!("bench-{pid}-logs"), &["sh", "-c", "seq 1 200000"]);
    writer.start = true;
    let id = e.create_container(&writer, HashMap::new()).await.unwrap();
    made.push(id.clone());
    // Wait until it has written everything.
    for _ in 0..600 {
        if e.container(&id).await.unwrap().state == pier_proto::containers::ContainerState::Exited {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let t = Instant::now();
    let mut bytes = 0usize;
    let mut lines = 0usize;
    let mut logs = Box::pin(e.logs(&id, LogRequest { tail: None, ..Default::default() }));
    while let Some(chunk) = logs.next().await {
        let c = chunk.unwrap();
        bytes += c.text.len();
        lines += c.text.matches('\n').count();
    }
    let ours = t.elapsed();
    let t = Instant::now();
    let out = std::process::Command::new("docker").args(["logs", &id]).output().unwrap();
    let theirs = t.elapsed();
    assert_eq!(lines, 200_000);
    assert_eq!(out.stdout.len(), bytes);
    println!(
        "logs: {lines} lines / {} kB read by Pier in {ours:?} ({:.0} lines/s); `docker logs` took {theirs:?}",
        bytes / 1000,
        lines as f64 / ours.as_secs_f64()
    );
    for id in made {
        e.remove_container(&id, true).await.unwrap();
    }
}
