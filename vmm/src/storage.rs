//! Disks through libvirt's storage API, for hosts whose files Pier cannot touch (`qemu+ssh://`,
//! `qemu+tls://`): the host's storage directory becomes a libvirt `dir` pool, base images are
//! uploaded into it once over a libvirt stream, overlays are created by libvirt (which runs
//! `qemu-img` on the host), seeds are uploaded, and everything is deleted the same way.
//!
//! Pool and volume XML are written by the XML writer, like domain XML.

use crate::error::VmmError;
use crate::host::Hypervisor;
use quick_xml::events::BytesText;
use quick_xml::Writer;
use std::io::{Cursor, Read};
use virt::storage_pool::StoragePool;
use virt::storage_vol::StorageVol;
use virt::stream::Stream;

/// What a volume is, as libvirt reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeInfo {
    pub path: String,
    /// Virtual size in bytes.
    pub capacity: u64,
    /// Bytes actually used on the host.
    pub allocation: u64,
}

/// The space of a pool's filesystem, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSpace {
    pub capacity: u64,
    pub available: u64,
}

/// A new volume: a copy target (`backing: None`) or a copy-on-write overlay on another volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeSpec {
    pub name: String,
    /// `qcow2` or `raw`.
    pub format: String,
    pub capacity: u64,
    /// Path and format of the backing file on the host.
    pub backing: Option<(String, String)>,
}

impl VolumeSpec {
    pub fn to_xml(&self) -> Result<String, VmmError> {
        let mut w = Writer::new(Cursor::new(Vec::new()));
        let capacity = self.capacity.to_string();
        w.create_element("volume")
            .write_inner_content(|w| {
                w.create_element("name").write_text_content(BytesText::new(&self.name))?;
                w.create_element("capacity").with_attribute(("unit", "bytes")).write_text_content(BytesText::new(&capacity))?;
                // Sparse: an upload or qemu-img fills what is needed.
                w.create_element("allocation").write_text_content(BytesText::new("0"))?;
                w.create_element("target").write_inner_content(|w| {
                    w.create_element("format").with_attribute(("type", self.format.as_str())).write_empty()?;
                    Ok(())
                })?;
                if let Some((path, format)) = &self.backing {
                    w.create_element("backingStore").write_inner_content(|w| {
                        w.create_element("path").write_text_content(BytesText::new(path))?;
                        w.create_element("format").with_attribute(("type", format.as_str())).write_empty()?;
                        Ok(())
                    })?;
                }
                Ok::<(), std::io::Error>(())
            })
            .map_err(|e| VmmError::Xml(e.to_string()))?;
        String::from_utf8(w.into_inner().into_inner()).map_err(|e| VmmError::Xml(e.to_string()))
    }
}

fn pool_xml(name: &str, dir: &str) -> Result<String, VmmError> {
    let mut w = Writer::new(Cursor::new(Vec::new()));
    w.create_element("pool")
        .with_attribute(("type", "dir"))
        .write_inner_content(|w| {
            w.create_element("name").write_text_content(BytesText::new(name))?;
            w.create_element("target").write_inner_content(|w| {
                w.create_element("path").write_text_content(BytesText::new(dir))?;
                Ok(())
            })?;
            Ok::<(), std::io::Error>(())
        })
        .map_err(|e| VmmError::Xml(e.to_string()))?;
    String::from_utf8(w.into_inner().into_inner()).map_err(|e| VmmError::Xml(e.to_string()))
}

/// The name Pier gives the pool it defines for `dir`: readable and stable, only characters
/// libvirt accepts in names.
pub fn pool_name_for(dir: &str) -> String {
    let tail: String = dir.trim_matches('/').chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect();
    format!("pier-{}", if tail.is_empty() { "root".into() } else { tail })
}

/// Upload chunk: large enough to keep the stream busy, small enough for a smooth progress bar.
const CHUNK: usize = 1 << 20;

impl Hypervisor {
    /// The active pool whose target is `dir`: an existing one (the admin's `default` pool at
    /// /var/lib/libvirt/images, say — libvirt refuses a second pool on the same directory), or
    /// one Pier defines, builds (creates the directory), starts and marks autostart.
    pub fn ensure_dir_pool(&self, dir: &str) -> Result<StoragePool, VmmError> {
        let pool = match self.find_dir_pool(dir)? {
            Some(p) => p,
            None => {
                let xml = pool_xml(&pool_name_for(dir), dir)?;
                let p = self.conn.define_storage_pool_xml(&xml, 0).map_err(|e| VmmError::Libvirt(format!("defining a storage pool for {dir}: {}", e.message().trim())))?;
                p.build(0).map_err(|e| VmmError::Libvirt(format!("creating {dir} on the host: {}", e.message().trim())))?;
                let _ = p.set_autostart(true);
                p
            }
        };
        if !pool.is_active().map_err(VmmError::libvirt)? {
            pool.create(0).map_err(|e| VmmError::Libvirt(format!("starting the storage pool for {dir}: {}", e.message().trim())))?;
        }
        Ok(pool)
    }

    fn find_dir_pool(&self, dir: &str) -> Result<Option<StoragePool>, VmmError> {
        let pools = self.conn.list_all_storage_pools(0).map_err(VmmError::libvirt)?;
        let wanted = dir.trim_end_matches('/');
        Ok(pools.into_iter().find(|p| {
            p.xml_desc(0).ok().and_then(|x| crate::read_xml::text_at(&x, &["target", "path"])).is_some_and(|path| path.trim_end_matches('/') == wanted)
        }))
    }

    /// Stops and forgets the pool Pier defined for `dir` (the host left Pier); the files stay.
    /// A pool someone else defined is left alone.
    pub fn release_dir_pool(&self, dir: &str) -> Result<(), VmmError> {
        let Some(pool) = self.find_dir_pool(dir)? else { return Ok(()) };
        if pool.name().map_err(VmmError::libvirt)? != pool_name_for(dir) {
            return Ok(());
        }
        if pool.is_active().map_err(VmmError::libvirt)? {
            pool.destroy().map_err(VmmError::libvirt)?;
        }
        pool.undefine().map_err(VmmError::libvirt)
    }

    pub fn pool_space(&self, dir: &str) -> Result<PoolSpace, VmmError> {
        let pool = self.ensure_dir_pool(dir)?;
        let _ = pool.refresh(0);
        let info = pool.info().map_err(VmmError::libvirt)?;
        Ok(PoolSpace { capacity: info.capacity, available: info.available })
    }

    /// The volume `name` in `dir`'s pool, if there is one.
    pub fn volume(&self, dir: &str, name: &str) -> Result<Option<VolumeInfo>, VmmError> {
        let pool = self.ensure_dir_pool(dir)?;
        // A file put there by other means is only known after a refresh.
        let _ = pool.refresh(0);
        match pool.lookup_storage_vol_by_name(name) {
            Ok(v) => describe(&v).map(Some),
            Err(e) if no_volume(&e) => Ok(None),
            Err(e) => Err(VmmError::libvirt(e)),
        }
    }

    /// Creates a volume (an empty copy target, or an overlay when `spec.backing` is set).
    pub fn create_volume(&self, dir: &str, spec: &VolumeSpec) -> Result<VolumeInfo, VmmError> {
        let pool = self.ensure_dir_pool(dir)?;
        let vol = StorageVol::create_xml(&pool, &spec.to_xml()?, 0).map_err(|e| VmmError::Libvirt(format!("creating volume {}: {}", spec.name, e.message().trim())))?;
        describe(&vol)
    }

    /// Creates `spec` and fills it with `length` bytes from `source` over a libvirt stream,
    /// calling `progress` with the bytes sent so far. On any failure the volume is deleted, so
    /// a half-copied image is never mistaken for a complete one.
    pub fn upload_volume(&self, dir: &str, spec: &VolumeSpec, source: &mut dyn Read, length: u64, progress: &mut dyn FnMut(u64)) -> Result<VolumeInfo, VmmError> {
        let pool = self.ensure_dir_pool(dir)?;
        let vol = StorageVol::create_xml(&pool, &spec.to_xml()?, 0).map_err(|e| VmmError::Libvirt(format!("creating volume {}: {}", spec.name, e.message().trim())))?;
        let sent = (|| {
            let stream = Stream::new(&self.conn, 0).map_err(VmmError::libvirt)?;
            vol.upload(&stream, 0, length, 0).map_err(VmmError::libvirt)?;
            let mut buf = vec![0u8; CHUNK];
            let mut done = 0u64;
            while done < length {
                let want = CHUNK.min((length - done) as usize);
                let n = match source.read(&mut buf[..want]) {
                    Ok(0) => {
                        let _ = stream.abort();
                        return Err(VmmError::Libvirt(format!("the source ended after {done} of {length} bytes")));
                    }
                    Ok(n) => n,
                    Err(e) => {
                        let _ = stream.abort();
                        return Err(VmmError::Libvirt(format!("reading the source: {e}")));
                    }
                };
                let mut off = 0;
                while off < n {
                    match stream.send(&buf[off..n]) {
                        Ok(m) if m > 0 => off += m as usize,
                        Ok(_) => {}
                        Err(e) => {
                            let _ = stream.abort();
                            return Err(VmmError::libvirt(e));
                        }
                    }
                }
                done += n as u64;
                progress(done);
            }
            stream.finish().map_err(VmmError::libvirt)
        })();
        if let Err(e) = sent {
            let _ = vol.delete(0);
            return Err(e);
        }
        let _ = pool.refresh(0);
        describe(&vol)
    }

    /// Deletes the volume `name` in `dir`'s pool; a missing one is fine.
    pub fn delete_volume(&self, dir: &str, name: &str) -> Result<(), VmmError> {
        let pool = self.ensure_dir_pool(dir)?;
        let _ = pool.refresh(0);
        match pool.lookup_storage_vol_by_name(name) {
            Ok(v) => v.delete(0).map_err(|e| VmmError::Libvirt(format!("deleting volume {name}: {}", e.message().trim()))),
            Err(e) if no_volume(&e) => Ok(()),
            Err(e) => Err(VmmError::libvirt(e)),
        }
    }
}

fn describe(v: &StorageVol) -> Result<VolumeInfo, VmmError> {
    let info = v.info().map_err(VmmError::libvirt)?;
    Ok(VolumeInfo { path: v.path().map_err(VmmError::libvirt)?, capacity: info.capacity, allocation: info.allocation })
}

fn no_volume(e: &virt::error::Error) -> bool {
    e.code() == virt::error::ErrorNumberEnum::Known(virt::error::ErrorNumber::NoStorageVolume)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_xml_escapes_names_and_carries_the_backing_file() {
        let xml = VolumeSpec { name: "a<b>&c".into(), format: "qcow2".into(), capacity: 10 << 30, backing: Some(("/p/base'.qcow2".into(), "raw".into())) }.to_xml().unwrap();
        assert!(xml.contains("<name>a&lt;b&gt;&amp;c</name>"), "{xml}");
        assert!(xml.contains("<capacity unit=\"bytes\">10737418240</capacity>"), "{xml}");
        assert!(xml.contains("<backingStore><path>/p/base&apos;.qcow2</path><format type=\"raw\"/></backingStore>"), "{xml}");
    }

    #[test]
    fn pool_names_are_readable_and_safe() {
        assert_eq!(pool_name_for("/var/lib/pier/disks/"), "pier-var-lib-pier-disks");
        assert_eq!(pool_name_for("/"), "pier-root");
        assert_eq!(pool_name_for("/a b/'x'"), "pier-a-b--x-");
    }
}
