//! Image management and startup scripts against the real dockerd: build from a context archive,
//! refuse to remove an image in use, load what `docker save` wrote, a pull from a registry that
//! cannot be reached says so; scripts run with the image's shell or Pier's busybox.

use bytes::Bytes;
use futures::StreamExt;
use pier_docker::images::ImageProgress;
use pier_docker::test_images::{request, tar_of, BUSYBOX, NO_SHELL};
use pier_docker::{DockerError, Engine};
use pier_proto::containers::NewContainer;
use std::collections::HashMap;

fn engine_or_skip() -> Option<Engine> {
    pier_docker::test_images::docker_ready().then(|| Engine::connect("unix:///var/run/docker.sock").unwrap())
}

fn once(bytes: Vec<u8>) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    futures::stream::once(async move { Ok(Bytes::from(bytes)) })
}

async fn collect(s: impl futures::Stream<Item = Result<ImageProgress, DockerError>>) -> (Vec<ImageProgress>, Option<DockerError>) {
    let mut s = std::pin::pin!(s);
    let mut out = Vec::new();
    while let Some(item) = s.next().await {
        match item {
            Ok(p) => out.push(p),
            Err(e) => return (out, Some(e)),
        }
    }
    (out, None)
}

fn lines(p: &[ImageProgress]) -> String {
    p.iter().filter_map(|p| if let ImageProgress::Line(l) = p { Some(l.as_str()) } else { None }).collect::<Vec<_>>().join("\n")
}

#[tokio::test]
async fn images_build_refuse_removal_in_use_load_and_pulls_say_why_they_fail() {
    let Some(e) = engine_or_skip() else { return };
    let tag = format!("pier-test/built:{}", std::process::id());

    // Build: the steps come as lines, the result as an id; the tag is then listed.
    let dockerfile = format!("FROM {BUSYBOX}\nCOPY hello.txt /hello.txt\nRUN [\"/bin/sh\", \"-c\", \"echo built > /built.txt\"]\n");
    let ctx = tar_of(&[("build/Dockerfile", &dockerfile), ("hello.txt", &format!("hi from run {}\n", std::process::id()))]).await;
    let (progress, err) = collect(e.build_image(once(ctx), "build/Dockerfile", &tag)).await;
    assert!(err.is_none(), "{err:?}: {}", lines(&progress));
    assert!(lines(&progress).contains("Step 2/3"), "{}", lines(&progress));
    assert!(progress.iter().any(|p| matches!(p, ImageProgress::Done(id) if id.starts_with("sha256:"))), "{progress:?}");
    let listed = e.list_images().await.unwrap();
    let built = listed.iter().find(|i| i.tags.contains(&tag)).expect("the built tag is listed");

    // A broken Dockerfile fails with the engine's words, and a RUN that fails says so.
    let bad = tar_of(&[("Dockerfile", &format!("FROM {BUSYBOX}\nRUN [\"/bin/sh\", \"-c\", \"exit 3\"]\n"))]).await;
    let (_, err) = collect(e.build_image(once(bad), "Dockerfile", &format!("{tag}-bad"))).await;
    assert!(err.expect("a failing step fails the build").to_string().contains("returned a non-zero code: 3"));

    // In use by a stopped container: dockerd refuses, naming the conflict. (For a running one
    // it only untags, so the containers service checks who uses an image before asking.)
    let stopped = NewContainer { start: false, ..request(&format!("img-user-{}", std::process::id()), &tag, &["true"]) };
    let c = e.create_container(&stopped, HashMap::new()).await.unwrap();
    let refused = e.remove_image(&tag).await.unwrap_err();
    assert!(matches!(refused, DockerError::Conflict(ref m) if m.contains("is using its referenced image")), "{refused:?}");
    e.remove_container(&c, false).await.unwrap();

    // docker save → remove → load through Pier brings the same image back.
    let saved = std::process::Command::new("docker").args(["save", &tag]).output().unwrap();
    assert!(saved.status.success());
    e.remove_image(&tag).await.unwrap();
    assert!(!e.list_images().await.unwrap().iter().any(|i| i.tags.contains(&tag)));
    assert!(matches!(e.remove_image(&tag).await, Err(DockerError::NoImage(_))));
    let (progress, err) = collect(e.load_image(once(saved.stdout))).await;
    assert!(err.is_none(), "{err:?}");
    assert!(lines(&progress).contains(&format!("Loaded image: {tag}")), "{}", lines(&progress));
    assert!(e.list_images().await.unwrap().iter().any(|i| i.tags.contains(&tag) && i.id == built.id));
    // Not an image archive: the engine's refusal comes back as an error.
    let (_, err) = collect(e.load_image(once(b"this is not a tar".to_vec()))).await;
    assert!(err.is_some(), "garbage is refused");
    e.remove_image(&tag).await.unwrap();

    // A registry that is not there (a closed loopback port): the error says it could not connect.
    let (_, err) = collect(e.pull_image("127.0.0.1:9/pier/nothing:1")).await;
    let msg = err.expect("the pull fails").to_string();
    assert!(msg.contains("connection refused") || msg.contains("dial tcp"), "{msg}");
}

async fn run(e: &Engine, id: &str, script: &str) -> (String, Option<i64>) {
    let mut s = e.run_script(id, script).await.unwrap();
    let mut out = Vec::new();
    while let Some(chunk) = s.output.next().await {
        out.extend(chunk.unwrap());
    }
    (String::from_utf8_lossy(&out).into_owned(), e.exec_exit_code(&s.exec_id).await.unwrap())
}

#[tokio::test]
async fn startup_scripts_run_with_the_images_shell_or_piers_busybox() {
    let Some(e) = engine_or_skip() else { return };
    let pid = std::process::id();
    let with_shell = e.create_container(&request(&format!("script-sh-{pid}"), BUSYBOX, &["sleep", "60"]), HashMap::new()).await.unwrap();
    let (out, code) = run(&e, &with_shell, "echo one; sleep 0.2; echo \"two $((1+1))\" >&2; exit 4").await;
    assert_eq!((out.as_str(), code), ("one\ntwo 2\n", Some(4)));
    // The script is one argument: quotes and `;` inside it are the shell's business, not ours.
    let (out, code) = run(&e, &with_shell, "printf '%s\\n' 'a;b' \"$HOSTNAME\" | wc -l").await;
    assert_eq!((out.trim(), code), ("2", Some(0)));

    let no_shell = e.create_container(&request(&format!("script-none-{pid}"), NO_SHELL, &["/busybox", "sleep", "60"]), HashMap::new()).await.unwrap();
    let (out, code) = run(&e, &no_shell, "echo from busybox; ls /.pier").await;
    assert_eq!((out.as_str(), code), ("from busybox\nbusybox\n", Some(0)));
    for id in [with_shell, no_shell] {
        e.remove_container(&id, false).await.unwrap();
    }
}
