//! OS images through the real job pipeline and real `qemu-img`: a good qcow2 becomes ready with
//! its size and checksum; a truncated qcow2, a text file, a checksum mismatch are refused with
//! the reason in words.

mod common;

use common::settle;
use pier_core::actor::Role;
use pier_proto::compute::{ImageStatus, NewImage};
use pier_proto::jobs::JobState;
use std::process::Command;

fn qemu_img_create(path: &std::path::Path, size: &str) {
    let ok = Command::new("qemu-img").args(["create", "-q", "-f", "qcow2"]).arg(path).arg(size).status().expect("qemu-img runs");
    assert!(ok.success());
}

fn image(name: &str, path: &std::path::Path) -> NewImage {
    NewImage {
        name: name.into(),
        path: path.display().to_string(),
        os_family: "debian".into(),
        os_version: "12".into(),
        default_user: "debian".into(),
        min_disk_gb: 2,
        public: true,
        expected_sha256: None,
        users: vec![],
    }
}

#[tokio::test]
async fn images_are_inspected_checksummed_or_refused_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let (core, _stop) = common::running_core(dir.path()).await;
    let admin = core
        .accounts
        .create_admin_from_cli(pier_proto::accounts::NewUser { username: "root".into(), email: "r@example.com".into(), password: "correct horse battery".into(), role: Role::Admin })
        .await
        .unwrap();
    let admin = pier_core::accounts::actor_of(&admin);
    let ctx = pier_core::audit::RequestContext::default();

    let good = dir.path().join("good.qcow2");
    qemu_img_create(&good, "1G");
    let (img, job) = core.compute.register_image(&core.jobs, &admin, image("debian-12", &good), &ctx).await.unwrap();
    assert_eq!(img.status, ImageStatus::Checking);
    let done = settle(&core, job).await;
    assert_eq!(done.state, JobState::Succeeded, "{}", done.message);
    assert_eq!(done.progress, 100);
    let ready = core.compute.list_images(&admin).await.unwrap().into_iter().find(|i| i.id == img.id).unwrap();
    assert_eq!((ready.status, ready.format.as_deref(), ready.virtual_size), (ImageStatus::Ready, Some("qcow2"), Some(1 << 30)));
    let expected = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(std::fs::read(&good).unwrap()))
    };
    assert_eq!(ready.sha256.as_deref(), Some(expected.as_str()));

    // Refusals, each with its reason.
    let truncated = dir.path().join("truncated.qcow2");
    qemu_img_create(&truncated, "1G");
    let bytes = std::fs::read(&truncated).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 3]).unwrap();
    let text = dir.path().join("notes.img");
    std::fs::write(&text, "just some text, not a disk\n".repeat(100)).unwrap();
    let mut wrong_sum = image("wrong-sum", &good);
    wrong_sum.expected_sha256 = Some("0".repeat(64));
    for (new, says) in [
        (image("truncated", &truncated), "damaged or truncated"),
        (image("text", &text), "not a disk image"),
        (wrong_sum, "checksum mismatch"),
    ] {
        let name = new.name.clone();
        let (_, job) = core.compute.register_image(&core.jobs, &admin, new, &ctx).await.unwrap();
        let done = settle(&core, job).await;
        assert_eq!(done.state, JobState::Failed, "{name}");
        let img = core.compute.list_images(&admin).await.unwrap().into_iter().find(|i| i.name == name).unwrap();
        assert_eq!(img.status, ImageStatus::Failed);
        assert!(img.error.as_deref().unwrap().contains(says), "{name}: {:?}", img.error);
    }

    // Bad input never reaches a job.
    let missing = core.compute.register_image(&core.jobs, &admin, image("missing", &dir.path().join("nope.qcow2")), &ctx).await.unwrap_err();
    assert_eq!(pier_proto::ApiError::from(missing).field.as_deref(), Some("path"));
    let dup = core.compute.register_image(&core.jobs, &admin, image("debian-12", &good), &ctx).await.unwrap_err();
    assert_eq!(pier_proto::ApiError::from(dup).field.as_deref(), Some("name"));

    // Users see only ready public images; they cannot add any.
    let user = core
        .accounts
        .create_user(&admin, pier_proto::accounts::NewUser { username: "uma".into(), email: "u@example.com".into(), password: "correct horse battery".into(), role: Role::User }, &ctx)
        .await
        .unwrap();
    let user = pier_core::accounts::actor_of(&user);
    assert_eq!(core.compute.list_images(&user).await.unwrap().iter().map(|i| i.name.as_str()).collect::<Vec<_>>(), vec!["debian-12"]);
    assert!(core.compute.register_image(&core.jobs, &user, image("mine", &good), &ctx).await.is_err());
}

/// Uploads are streamed to disk, refused early when too large or mis-declared, leave nothing
/// behind when refused, and are checked like registered files.
#[tokio::test]
async fn uploads_stream_to_disk_and_refusals_leave_nothing() {
    use futures::stream;
    let dir = tempfile::tempdir().unwrap();
    let (core, _stop) = common::running_core(dir.path()).await;
    let ctx = pier_core::audit::RequestContext::default();
    let admin = pier_core::accounts::actor_of(&core.accounts.create_admin_from_cli(pier_proto::accounts::NewUser { username: "root".into(), email: "r@example.com".into(), password: "correct horse battery".into(), role: pier_core::actor::Role::Admin }).await.unwrap());
    let src = dir.path().join("src.qcow2");
    assert!(std::process::Command::new("qemu-img").args(["create", "-q", "-f", "qcow2"]).arg(&src).arg("64M").status().unwrap().success());
    let bytes = std::fs::read(&src).unwrap();
    let meta = |name: &str| pier_proto::compute::NewImage { name: name.into(), path: String::new(), os_family: "other".into(), os_version: "1".into(), default_user: "root".into(), min_disk_gb: 1, public: true, expected_sha256: None, users: vec![] };
    let chunks = |b: &[u8]| stream::iter(b.chunks(1000).map(|c| Ok::<_, std::io::Error>(c.to_vec())).collect::<Vec<_>>());
    let store = dir.path().join("images");
    let len = Some(bytes.len() as u64);

    let (img, job) = core.compute.upload_image(&core.jobs, &admin, meta("up"), &store, len, 1 << 30, chunks(&bytes), &ctx).await.unwrap();
    let done = common::settle(&core, job).await;
    assert_eq!(done.state, pier_proto::jobs::JobState::Succeeded, "{}", done.message);
    let listed = core.compute.list_images(&admin).await.unwrap();
    let up = listed.iter().find(|i| i.id == img.id).unwrap();
    assert_eq!(up.format.as_deref(), Some("qcow2"));
    assert_eq!(std::fs::read(&up.path).unwrap(), bytes, "stored byte for byte");

    let api = |e: pier_core::compute::ComputeError| pier_proto::ApiError::from(e);
    let too_big = api(core.compute.upload_image(&core.jobs, &admin, meta("big"), &store, len, 100, chunks(&bytes), &ctx).await.unwrap_err());
    assert!(too_big.message.contains("upload limit"), "{}", too_big.message);
    // A body longer than it said, or cut short, is refused and removed.
    let liar = api(core.compute.upload_image(&core.jobs, &admin, meta("liar"), &store, Some(10), 1 << 20, chunks(&bytes), &ctx).await.unwrap_err());
    assert!(liar.message.contains("upload limit") || liar.message.contains("ended after"), "{}", liar.message);
    let cut = stream::iter(vec![Ok(bytes[..500].to_vec()), Err(std::io::Error::other("connection reset"))]);
    let cut = api(core.compute.upload_image(&core.jobs, &admin, meta("cut"), &store, len, 1 << 30, cut, &ctx).await.unwrap_err());
    assert!(cut.message.contains("interrupted"), "{}", cut.message);
    let dup = api(core.compute.upload_image(&core.jobs, &admin, meta("up"), &store, len, 1 << 30, chunks(&bytes), &ctx).await.unwrap_err());
    assert_eq!(dup.field.as_deref(), Some("name"));
    let files: Vec<_> = std::fs::read_dir(&store).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files.len(), 1, "only the good upload is left: {files:?}");
}

/// A private image is listed and usable only for the users chosen for it (and staff); making it
/// public opens it to all.
#[tokio::test]
async fn private_images_are_for_the_chosen_users() {
    let dir = tempfile::tempdir().unwrap();
    let (core, _stop) = common::running_core(dir.path()).await;
    let ctx = pier_core::audit::RequestContext::default();
    let person = |n: &str, role| pier_proto::accounts::NewUser { username: n.into(), email: format!("{n}@example.com"), password: "correct horse battery".into(), role };
    let admin = pier_core::accounts::actor_of(&core.accounts.create_admin_from_cli(person("root", Role::Admin)).await.unwrap());
    let alice_view = core.accounts.create_user(&admin, person("alice", Role::User), &ctx).await.unwrap();
    let alice = pier_core::accounts::actor_of(&alice_view);
    let bob = pier_core::accounts::actor_of(&core.accounts.create_user(&admin, person("bob", Role::User), &ctx).await.unwrap());
    let file = dir.path().join("p.qcow2");
    assert!(Command::new("qemu-img").args(["create", "-q", "-f", "qcow2"]).arg(&file).arg("64M").status().unwrap().success());
    let new = NewImage { name: "licensed".into(), path: file.display().to_string(), os_family: "other".into(), os_version: "1".into(), default_user: "root".into(), min_disk_gb: 1, public: false, expected_sha256: None, users: vec![alice_view.id] };
    let (img, job) = core.compute.register_image(&core.jobs, &admin, new, &ctx).await.unwrap();
    assert_eq!(settle(&core, job).await.state, JobState::Succeeded);
    let names = |l: Vec<pier_proto::compute::ImageView>| l.into_iter().map(|i| i.name).collect::<Vec<_>>();
    assert_eq!(names(core.compute.list_images(&alice).await.unwrap()), ["licensed"]);
    assert!(core.compute.list_images(&bob).await.unwrap().is_empty());
    assert_eq!(core.compute.list_images(&admin).await.unwrap()[0].users, [alice_view.id], "staff see who may use it");
    assert!(core.compute.set_image_access(&alice, img.id, true, vec![], &ctx).await.is_err(), "only administrators change access");
    let bad = pier_proto::ApiError::from(core.compute.set_image_access(&admin, img.id, false, vec![9999], &ctx).await.unwrap_err());
    assert_eq!(bad.field.as_deref(), Some("users"));
    core.compute.set_image_access(&admin, img.id, true, vec![], &ctx).await.unwrap();
    assert_eq!(names(core.compute.list_images(&bob).await.unwrap()), ["licensed"]);
}
