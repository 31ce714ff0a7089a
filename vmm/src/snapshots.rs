//! Snapshots of a domain: libvirt internal snapshots, kept inside the qcow2 disk (disk and, for a
//! running guest, memory), so deleting the disk file deletes them too.

use crate::error::VmmError;
use crate::host::Hypervisor;
use crate::read_xml::child_text;
use quick_xml::events::BytesText;
use quick_xml::Writer;
use std::io::Cursor;
use virt::domain::Domain;
use virt::domain_snapshot::DomainSnapshot;
use virt::sys;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SnapshotInfo {
    pub name: String,
    pub description: String,
    /// Seconds since the epoch.
    pub created_at: i64,
    /// The domain's state when it was taken (`running`, `shutoff`, ...).
    pub state: String,
    /// The snapshot the domain was last created from or reverted to.
    pub current: bool,
}

fn snapshot_xml(name: &str, description: &str) -> Result<String, VmmError> {
    let mut w = Writer::new(Cursor::new(Vec::new()));
    w.create_element("domainsnapshot")
        .write_inner_content(|w| {
            w.create_element("name").write_text_content(BytesText::new(name))?;
            w.create_element("description").write_text_content(BytesText::new(description))?;
            Ok::<(), std::io::Error>(())
        })
        .map_err(|e| VmmError::Xml(e.to_string()))?;
    String::from_utf8(w.into_inner().into_inner()).map_err(|e| VmmError::Xml(e.to_string()))
}

fn info(s: &DomainSnapshot) -> Result<SnapshotInfo, VmmError> {
    let e = VmmError::libvirt;
    let xml = s.xml_desc(0).map_err(e)?;
    Ok(SnapshotInfo {
        name: s.name().map_err(e)?,
        description: child_text(&xml, "description").unwrap_or_default(),
        created_at: child_text(&xml, "creationTime").and_then(|t| t.trim().parse().ok()).unwrap_or(0),
        state: child_text(&xml, "state").unwrap_or_default(),
        current: s.is_current(0).unwrap_or(false),
    })
}

impl Hypervisor {
    fn snapshot(&self, domain: &str, name: &str) -> Result<(Domain, DomainSnapshot), VmmError> {
        let d = self.lookup(domain)?;
        let s = Domain::lookup_snapshot_by_name(&d, name, 0).map_err(|_| VmmError::NoSnapshot(name.to_string()))?;
        Ok((d, s))
    }

    /// Oldest first (parents before children when taken within the same second).
    pub fn list_snapshots(&self, domain: &str) -> Result<Vec<SnapshotInfo>, VmmError> {
        let d = self.lookup(domain)?;
        let mut out: Vec<SnapshotInfo> = d.list_all_snapshots(sys::VIR_DOMAIN_SNAPSHOT_LIST_TOPOLOGICAL).map_err(VmmError::libvirt)?.iter().map(info).collect::<Result<_, _>>()?;
        out.sort_by_key(|s| s.created_at); // stable: keeps the topological order within a second
        Ok(out)
    }

    /// Takes a snapshot (with memory when the guest runs); atomic: all or nothing.
    pub fn create_snapshot(&self, domain: &str, name: &str, description: &str) -> Result<SnapshotInfo, VmmError> {
        let d = self.lookup(domain)?;
        if Domain::lookup_snapshot_by_name(&d, name, 0).is_ok() {
            return Err(VmmError::InvalidState(format!("a snapshot named {name:?} exists already")));
        }
        let s = d.create_snapshot_xml(&snapshot_xml(name, description)?, sys::VIR_DOMAIN_SNAPSHOT_CREATE_ATOMIC).map_err(VmmError::libvirt)?;
        info(&s)
    }

    /// Returns the domain to the snapshot's disk (and memory, when it has one). A guest that was
    /// running when the snapshot was taken runs again afterwards.
    pub fn revert_snapshot(&self, domain: &str, name: &str) -> Result<(), VmmError> {
        let (_, s) = self.snapshot(domain, name)?;
        s.revert(sys::VIR_DOMAIN_SNAPSHOT_REVERT_FORCE).map_err(VmmError::libvirt)
    }

    /// Deletes one snapshot; its children are kept (libvirt merges them).
    pub fn delete_snapshot(&self, domain: &str, name: &str) -> Result<(), VmmError> {
        let (_, s) = self.snapshot(domain, name)?;
        s.delete(0).map_err(VmmError::libvirt)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn snapshot_xml_escapes_values() {
        let xml = super::snapshot_xml("a</name>", "b & <c>").unwrap();
        assert_eq!(xml, "<domainsnapshot><name>a&lt;/name&gt;</name><description>b &amp; &lt;c&gt;</description></domainsnapshot>");
    }
}
