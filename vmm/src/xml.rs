//! Domain XML from a typed description, written with quick-xml's writer: every value is escaped
//! by the writer, so no field can add or close elements.

use crate::error::VmmError;
use quick_xml::events::BytesText;
use quick_xml::Writer;
use std::io::Cursor;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiskDevice {
    Disk,
    Cdrom,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskSpec {
    pub path: String,
    /// `qcow2` or `raw`.
    pub format: String,
    pub device: DiskDevice,
    /// `vda` (virtio disk) or `sda` (SATA CD-ROM).
    pub target: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkSpec {
    /// A libvirt network (`default` NAT, ...).
    Network { name: String, mac: Option<String> },
    /// A host bridge (`br0`) for public addresses.
    Bridge { name: String, mac: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphicsSpec {
    /// QEMU's VNC websocket port on 127.0.0.1 (Pier proxies it; browsers never reach it).
    pub websocket_port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainSpec {
    /// `qemu` (TCG), `kvm`, or `test` for libvirt's test driver.
    pub domain_type: String,
    pub name: String,
    /// Kept across redefinitions (libvirt refuses a changed UUID for an existing name).
    pub uuid: Option<String>,
    pub vcpus: u32,
    pub memory_mib: u64,
    pub disks: Vec<DiskSpec>,
    pub networks: Vec<NetworkSpec>,
    pub graphics: Option<GraphicsSpec>,
    /// A serial console on a pty (the browser's serial terminal).
    pub serial_console: bool,
    /// The QEMU guest agent channel (password reset, clean shutdown reports).
    pub guest_agent: bool,
}

type W = Writer<Cursor<Vec<u8>>>;

fn text(w: &mut W, name: &str, value: &str) -> std::io::Result<()> {
    w.create_element(name).write_text_content(BytesText::new(value))?;
    Ok(())
}

fn empty(w: &mut W, name: &str, attrs: &[(&str, &str)]) -> std::io::Result<()> {
    w.create_element(name).with_attributes(attrs.iter().copied()).write_empty()?;
    Ok(())
}

impl DomainSpec {
    pub fn to_xml(&self) -> Result<String, VmmError> {
        let mut w = Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 2);
        let memory = (self.memory_mib * 1024).to_string();
        let vcpus = self.vcpus.to_string();
        let written = w.create_element("domain").with_attribute(("type", self.domain_type.as_str())).write_inner_content(|w| {
            text(w, "name", &self.name)?;
            if let Some(uuid) = &self.uuid {
                text(w, "uuid", uuid)?;
            }
            w.create_element("memory").with_attribute(("unit", "KiB")).write_text_content(BytesText::new(&memory))?;
            text(w, "vcpu", &vcpus)?;
            w.create_element("os").write_inner_content(|w| {
                w.create_element("type").with_attributes([("arch", "x86_64"), ("machine", "pc")]).write_text_content(BytesText::new("hvm"))?;
                empty(w, "boot", &[("dev", "hd")])?;
                empty(w, "boot", &[("dev", "cdrom")])
            })?;
            // libvirt 9 with QEMU 10 fails on `-no-acpi` unless ACPI is named (design.md §5).
            w.create_element("features").write_inner_content(|w| {
                empty(w, "acpi", &[])?;
                empty(w, "apic", &[])
            })?;
            text(w, "on_poweroff", "destroy")?;
            text(w, "on_reboot", "restart")?;
            text(w, "on_crash", "destroy")?;
            w.create_element("devices").write_inner_content(|w| self.devices(w))?;
            Ok::<(), std::io::Error>(())
        });
        written.map_err(|e| VmmError::Xml(e.to_string()))?;
        String::from_utf8(w.into_inner().into_inner()).map_err(|e| VmmError::Xml(e.to_string()))
    }

    fn devices(&self, w: &mut W) -> std::io::Result<()> {
        for disk in &self.disks {
            let (device, bus) = match disk.device {
                DiskDevice::Disk => ("disk", "virtio"),
                DiskDevice::Cdrom => ("cdrom", "sata"),
            };
            w.create_element("disk").with_attributes([("type", "file"), ("device", device)]).write_inner_content(|w| {
                empty(w, "driver", &[("name", "qemu"), ("type", disk.format.as_str())])?;
                empty(w, "source", &[("file", disk.path.as_str())])?;
                empty(w, "target", &[("dev", disk.target.as_str()), ("bus", bus)])?;
                if disk.device == DiskDevice::Cdrom {
                    empty(w, "readonly", &[])?;
                }
                Ok(())
            })?;
        }
        for net in &self.networks {
            let (kind, attr, name, mac) = match net {
                NetworkSpec::Network { name, mac } => ("network", "network", name, mac),
                NetworkSpec::Bridge { name, mac } => ("bridge", "bridge", name, mac),
            };
            w.create_element("interface").with_attribute(("type", kind)).write_inner_content(|w| {
                empty(w, "source", &[(attr, name.as_str())])?;
                if let Some(mac) = mac {
                    empty(w, "mac", &[("address", mac.as_str())])?;
                }
                empty(w, "model", &[("type", "virtio")])
            })?;
        }
        if self.serial_console {
            w.create_element("serial").with_attribute(("type", "pty")).write_inner_content(|w| empty(w, "target", &[("port", "0")]))?;
            w.create_element("console").with_attribute(("type", "pty")).write_inner_content(|w| empty(w, "target", &[("type", "serial"), ("port", "0")]))?;
        }
        if self.guest_agent {
            w.create_element("channel").with_attribute(("type", "unix")).write_inner_content(|w| {
                empty(w, "target", &[("type", "virtio"), ("name", "org.qemu.guest_agent.0")])
            })?;
        }
        if let Some(g) = &self.graphics {
            let port = g.websocket_port.map(|p| p.to_string());
            let mut attrs = vec![("type", "vnc"), ("autoport", "yes"), ("listen", "127.0.0.1")];
            if let Some(p) = &port {
                attrs.push(("websocket", p.as_str()));
            }
            w.create_element("graphics").with_attributes(attrs).write_inner_content(|w| empty(w, "listen", &[("type", "address"), ("address", "127.0.0.1")]))?;
            empty(w, "video", &[])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn spec(name: &str) -> DomainSpec {
        DomainSpec {
            domain_type: "qemu".into(),
            name: name.into(),
            uuid: Some("4dea22b3-1d52-d8f3-2516-782e98ab3fa0".into()),
            vcpus: 2,
            memory_mib: 512,
            disks: vec![
                DiskSpec { path: "/var/lib/pier/vps-1.qcow2".into(), format: "qcow2".into(), device: DiskDevice::Disk, target: "vda".into() },
                DiskSpec { path: "/var/lib/pier/vps-1-seed.iso".into(), format: "raw".into(), device: DiskDevice::Cdrom, target: "sda".into() },
            ],
            networks: vec![NetworkSpec::Network { name: "default".into(), mac: Some("52:54:00:aa:bb:cc".into()) }],
            graphics: Some(GraphicsSpec { websocket_port: Some(5701) }),
            serial_console: true,
            guest_agent: true,
        }
    }

    #[test]
    fn writes_the_devices_a_vps_needs() {
        let xml = spec("web-1").to_xml().unwrap();
        for needle in [
            "<domain type=\"qemu\">",
            "<name>web-1</name>",
            "<memory unit=\"KiB\">524288</memory>",
            "<vcpu>2</vcpu>",
            "<acpi/>",
            "<source file=\"/var/lib/pier/vps-1.qcow2\"/>",
            "<target dev=\"sda\" bus=\"sata\"/>",
            "<readonly/>",
            "<mac address=\"52:54:00:aa:bb:cc\"/>",
            "websocket=\"5701\"",
            "listen=\"127.0.0.1\"",
            "<console type=\"pty\">",
            "org.qemu.guest_agent.0",
        ] {
            assert!(xml.contains(needle), "missing {needle} in\n{xml}");
        }
    }

    #[test]
    fn values_cannot_inject_markup() {
        let mut s = spec("x</name><devices><disk>");
        s.disks[0].path = "/tmp/a\"/><source file=\"/etc/shadow".into();
        let xml = s.to_xml().unwrap();
        assert!(xml.contains("<name>x&lt;/name&gt;&lt;devices&gt;&lt;disk&gt;</name>"), "{xml}");
        assert!(xml.contains("file=\"/tmp/a&quot;/&gt;&lt;source file=&quot;/etc/shadow\""), "{xml}");
        assert_eq!(xml.matches("<source file=").count(), 2);
    }
}
