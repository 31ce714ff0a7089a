//! The engine against real libvirt: the `test:///default` driver (no daemon, always here) and,
//! when libvirtd with QEMU runs (CI starts it; `PIER_TEST_REQUIRE_ALL=1` makes it mandatory),
//! `qemu:///system` for define/remove.

use pier_vmm::domain::PowerAction;
use pier_vmm::xml::{DiskDevice, DiskSpec, DomainSpec, GraphicsSpec, NetworkSpec};
use pier_vmm::{DomainState, Hypervisor, VmmError};

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
    let hv = match Hypervisor::connect("qemu:///system") {
        Ok(hv) => hv,
        Err(e) if std::env::var("PIER_TEST_REQUIRE_ALL").is_err() => {
            eprintln!("skipping: {e} (PIER_TEST_REQUIRE_ALL unset)");
            return;
        }
        Err(e) => panic!("libvirtd must be running: {e}"),
    };
    let info = hv.info().unwrap();
    assert_eq!(info.driver, "QEMU");
    assert!(info.hypervisor_version.is_some(), "QEMU is installed (scripts/deps.sh): {info:?}");
    let name = format!("pier-test-{}", std::process::id());
    let defined = hv.define(&spec("qemu", &name)).unwrap();
    assert_eq!(defined.state, DomainState::Stopped);
    hv.remove(&name).unwrap();
    assert!(matches!(hv.domain(&name), Err(VmmError::NoDomain(_))));
}
