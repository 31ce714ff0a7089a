//! The engine against real libvirt: the `test:///default` driver (no daemon, always here) and,
//! when libvirtd with QEMU runs (CI starts it; `PIER_TEST_REQUIRE_ALL=1` makes it mandatory),
//! `qemu:///system` for define/remove.

use pier_vmm::domain::PowerAction;
use pier_vmm::xml::{DiskDevice, DiskSpec, DomainSpec, GraphicsSpec, NetworkSpec};
use pier_vmm::{DomainEvent, DomainState, Hypervisor, VmmError};
use std::sync::mpsc;
use std::time::Duration;

/// Waits for the first event about `name` that satisfies `want`.
fn wait_for(rx: &mpsc::Receiver<DomainEvent>, want: impl Fn(&DomainEvent) -> bool) -> DomainEvent {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(e) if want(&e) => return e,
            Ok(_) => continue,
            Err(_) => panic!("no matching event within 20 s"),
        }
    }
}

fn state_event(name: &str, state: DomainState) -> impl Fn(&DomainEvent) -> bool + '_ {
    move |e| matches!(e, DomainEvent::State { name: n, state: s } if n == name && *s == state)
}

fn qemu_or_skip() -> Option<Hypervisor> {
    match Hypervisor::connect("qemu:///system") {
        Ok(hv) => Some(hv),
        Err(e) if std::env::var("PIER_TEST_REQUIRE_ALL").is_err() => {
            eprintln!("skipping: {e} (PIER_TEST_REQUIRE_ALL unset)");
            None
        }
        Err(e) => panic!("libvirtd must be running: {e}"),
    }
}

fn spec(domain_type: &str, name: &str) -> DomainSpec {
    DomainSpec {
        domain_type: domain_type.into(),
        name: name.into(),
        uuid: None,
        vcpus: 1,
        memory_mib: 64,
        disks: vec![DiskSpec { path: format!("/tmp/{name}.qcow2"), format: "qcow2".into(), device: DiskDevice::Disk, target: "vda".into() }],
        networks: vec![NetworkSpec::Network { name: "default".into(), mac: None }],
        graphics: Some(GraphicsSpec { websocket_port: None }),
        serial_console: true,
        guest_agent: false,
    }
}

#[test]
fn the_test_driver_runs_the_whole_lifecycle() {
    let hv = Hypervisor::connect("test:///default").unwrap();
    let info = hv.info().unwrap();
    assert_eq!(info.driver, "TEST");
    assert!(info.cpus > 0 && info.memory_kib > 0, "{info:?}");
    let before = info.domains;

    let defined = hv.define(&spec("test", "pier-life")).unwrap();
    assert_eq!(defined.state, DomainState::Stopped);
    assert_eq!(defined.memory_kib, 64 * 1024);
    assert!(hv.list_domains().unwrap().iter().any(|d| d.name == "pier-life"));
    assert_eq!(hv.info().unwrap().domains, before + 1);

    // Only actions that fit the state are carried out; the refusal says why.
    let refused = hv.power("pier-life", PowerAction::Shutdown).unwrap_err();
    assert!(matches!(&refused, VmmError::InvalidState(m) if m == "cannot shutdown a VM that is stopped"), "{refused}");
    assert_eq!(hv.power("pier-life", PowerAction::Start).unwrap().state, DomainState::Running);
    assert!(matches!(hv.power("pier-life", PowerAction::Start), Err(VmmError::InvalidState(_))));
    assert_eq!(hv.power("pier-life", PowerAction::Suspend).unwrap().state, DomainState::Paused);
    assert_eq!(hv.power("pier-life", PowerAction::Resume).unwrap().state, DomainState::Running);
    assert_eq!(hv.power("pier-life", PowerAction::Reset).unwrap().state, DomainState::Running);
    assert_eq!(hv.power("pier-life", PowerAction::ForceOff).unwrap().state, DomainState::Stopped);

    // Redefining with the same UUID updates the domain in place.
    let uuid = hv.domain("pier-life").unwrap().uuid;
    let mut bigger = spec("test", "pier-life");
    bigger.uuid = Some(uuid.clone());
    bigger.memory_mib = 128;
    let updated = hv.define(&bigger).unwrap();
    assert_eq!((updated.uuid, updated.memory_kib), (uuid, 128 * 1024));

    hv.power("pier-life", PowerAction::Start).unwrap();
    hv.remove("pier-life").unwrap();
    assert!(matches!(hv.domain("pier-life"), Err(VmmError::NoDomain(_))));
    assert!(matches!(hv.power("pier-life", PowerAction::Start), Err(VmmError::NoDomain(_))));
}

#[test]
fn an_unreachable_host_is_a_connect_error_in_words() {
    let err = Hypervisor::connect("qemu+unix:///system?socket=/nonexistent/libvirt-sock").err().expect("no daemon there");
    match err {
        VmmError::Connect { uri, message } => {
            assert!(uri.contains("nonexistent"));
            assert!(message.contains("/nonexistent/libvirt-sock"), "{message}");
        }
        other => panic!("expected a connect error, got {other}"),
    }
}

#[test]
fn qemu_system_defines_and_removes_a_domain() {
    let Some(hv) = qemu_or_skip() else { return };
    let info = hv.info().unwrap();
    assert_eq!(info.driver, "QEMU");
    assert!(info.hypervisor_version.is_some(), "QEMU is installed (scripts/deps.sh): {info:?}");
    let name = format!("pier-test-{}", std::process::id());
    let defined = hv.define(&spec("qemu", &name)).unwrap();
    assert_eq!(defined.state, DomainState::Stopped);
    hv.remove(&name).unwrap();
    assert!(matches!(hv.domain(&name), Err(VmmError::NoDomain(_))));
}

#[test]
fn the_test_driver_reports_events_snapshots_and_counters() {
    let hv = Hypervisor::connect("test:///default").unwrap();
    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let watch = hv.watch_events(move |e| {
        let _ = tx.lock().unwrap().send(e);
    });
    let watch = watch.unwrap();
    hv.define(&spec("test", "pier-ev")).unwrap();
    hv.power("pier-ev", PowerAction::Start).unwrap();
    wait_for(&rx, state_event("pier-ev", DomainState::Running));
    hv.power("pier-ev", PowerAction::Suspend).unwrap();
    wait_for(&rx, state_event("pier-ev", DomainState::Paused));
    hv.power("pier-ev", PowerAction::Resume).unwrap();

    // Snapshots: names are unique, listed oldest first, revert and delete by name.
    let first = hv.create_snapshot("pier-ev", "before-upgrade", "clean <install> & keys").unwrap();
    assert_eq!((first.name.as_str(), first.description.as_str()), ("before-upgrade", "clean <install> & keys"));
    assert!(first.created_at > 1_600_000_000, "{first:?}");
    assert!(matches!(hv.create_snapshot("pier-ev", "before-upgrade", ""), Err(VmmError::InvalidState(_))));
    hv.create_snapshot("pier-ev", "after", "").unwrap();
    let names: Vec<String> = hv.list_snapshots("pier-ev").unwrap().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["before-upgrade", "after"]);
    hv.revert_snapshot("pier-ev", "before-upgrade").unwrap();
    assert!(hv.list_snapshots("pier-ev").unwrap().iter().any(|s| s.name == "before-upgrade" && s.current));
    hv.delete_snapshot("pier-ev", "after").unwrap();
    assert!(matches!(hv.delete_snapshot("pier-ev", "after"), Err(VmmError::NoSnapshot(_))));
    assert_eq!(hv.list_snapshots("pier-ev").unwrap().len(), 1);

    let stats = hv.domain_stats("pier-ev", "vda", "52:54:00:00:00:01").unwrap();
    assert_eq!((stats.vcpus, stats.memory_max_kib), (1, 64 * 1024));
    assert!(stats.cpu_time_ns > 0, "{stats:?}");

    hv.remove("pier-ev").unwrap();
    wait_for(&rx, |e| matches!(e, DomainEvent::Undefined { name } if name == "pier-ev"));
    drop(watch);
}

/// A real QEMU guest (SeaBIOS with nothing to boot is enough to run): another connection's
/// actions arrive as events, the serial console opens, a snapshot with memory is taken and
/// reverted, and the counters move.
#[test]
fn qemu_pushes_events_and_takes_snapshots() {
    let Some(hv) = qemu_or_skip() else { return };
    let name = format!("pier-ev-{}", std::process::id());
    let disk = format!("/var/lib/libvirt/images/{name}.qcow2");
    let made = std::process::Command::new("qemu-img").args(["create", "-q", "-f", "qcow2", &disk, "64M"]).status().unwrap();
    assert!(made.success());
    let mut s = spec("qemu", &name);
    s.disks[0].path = disk.clone();
    s.networks.clear(); // no NAT network needed for this test
    hv.define(&s).unwrap();

    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    let _watch = hv.watch_events(move |e| {
        let _ = tx.lock().unwrap().send(e);
    });
    let other = Hypervisor::connect("qemu:///system").unwrap();
    other.power(&name, PowerAction::Start).unwrap();
    wait_for(&rx, state_event(&name, DomainState::Running));
    assert!(hv.vnc_port(&name).unwrap().is_some_and(|p| p >= 5900));

    // The console attaches and detaches cleanly when the caller hangs up.
    let (input_tx, input_rx) = mpsc::channel::<Vec<u8>>();
    let pump = std::thread::spawn({
        let name = name.clone();
        move || Hypervisor::connect("qemu:///system").unwrap().pump_console(&name, true, input_rx, |_| true)
    });
    input_tx.send(b"\r".to_vec()).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    drop(input_tx);
    assert_eq!(pump.join().unwrap().unwrap(), pier_vmm::console::ConsoleEnd::HungUp);

    // No guest agent in this guest: setting a password says so.
    assert!(matches!(hv.set_user_password(&name, "root", "a new password"), Err(VmmError::NoGuestAgent(_))));

    hv.create_snapshot(&name, "running", "with memory").unwrap();
    assert_eq!(hv.list_snapshots(&name).unwrap()[0].state, "running");
    other.power(&name, PowerAction::ForceOff).unwrap();
    wait_for(&rx, state_event(&name, DomainState::Stopped));
    hv.revert_snapshot(&name, "running").unwrap();
    wait_for(&rx, state_event(&name, DomainState::Running));
    let stats = hv.domain_stats(&name, "vda", "none").unwrap();
    assert!(stats.cpu_time_ns > 0 && stats.memory_used_kib > 0, "{stats:?}");

    hv.remove(&name).unwrap();
    wait_for(&rx, |e| matches!(e, DomainEvent::Undefined { name: n } if *n == name));
    std::fs::remove_file(&disk).unwrap();
}

#[test]
fn qemu_storage_uploads_volumes_and_drops_a_copy_cut_short() {
    let Some(hv) = qemu_or_skip() else { return };
    let dir = tempfile::tempdir().unwrap();
    let pool_dir = dir.path().join("pool");
    let d = pool_dir.display().to_string();
    let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let spec = |name: &str, capacity: u64| pier_vmm::storage::VolumeSpec { name: name.into(), format: "raw".into(), capacity, backing: None };

    let mut seen = Vec::new();
    let vol = hv.upload_volume(&d, &spec("whole.raw", bytes.len() as u64), &mut bytes.as_slice(), bytes.len() as u64, &mut |n| seen.push(n)).unwrap();
    assert_eq!(std::fs::read(&vol.path).unwrap(), bytes);
    assert_eq!(seen.last(), Some(&(bytes.len() as u64)));
    assert!(seen.len() >= 3, "progress in chunks: {seen:?}");

    // The source ends early: an error in words, and no half volume left behind.
    let err = hv.upload_volume(&d, &spec("short.raw", 10_000_000), &mut bytes.as_slice(), 10_000_000, &mut |_| {}).unwrap_err();
    assert!(err.to_string().contains("ended after 3000000 of 10000000 bytes"), "{err}");
    assert_eq!(hv.volume(&d, "short.raw").unwrap(), None);

    // An overlay made by libvirt on the uploaded file.
    let overlay = pier_vmm::storage::VolumeSpec { name: "over.qcow2".into(), format: "qcow2".into(), capacity: 8 << 20, backing: Some((vol.path.clone(), "raw".into())) };
    let o = hv.create_volume(&d, &overlay).unwrap();
    let info = std::process::Command::new("qemu-img").args(["info", "--output=json", &o.path]).output().unwrap();
    assert!(String::from_utf8_lossy(&info.stdout).contains(&vol.path));
    hv.delete_volume(&d, "over.qcow2").unwrap();
    hv.delete_volume(&d, "over.qcow2").unwrap(); // already gone: fine
    assert!(!std::path::Path::new(&o.path).exists());
    hv.release_dir_pool(&d).unwrap();
}
