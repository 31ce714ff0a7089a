//! Disks of VPSs on remote hosts (`qemu+ssh://`, `qemu+tls://`, or any URI Pier does not treat
//! as local). Pier cannot write files there, so everything goes through libvirt's storage API
//! (`pier_vmm::storage`) on the host's storage directory:
//! - the base image is uploaded into the host's pool once, named after its checksum (a changed
//!   image is a new volume), with a small `.done` marker volume written after the last byte so a
//!   copy cut short by a crash is never taken for a complete one;
//! - the VPS disk is a qcow2 overlay libvirt creates on the host;
//! - the cloud-init seed is made here and uploaded.
//!
//! Local hosts keep using plain files (see `vps.rs`), which also works with libvirt's test driver.

use super::{cloud_init, Compute};
use crate::entity::{host, image, vps};
use crate::jobs::JobContext;
use pier_vmm::storage::VolumeSpec;
use std::path::Path;

/// The volume name of a file path Pier chose (`<storage_dir>/<name>`).
fn volume_name(path: &str) -> Result<String, String> {
    Path::new(path).file_name().and_then(|n| n.to_str()).map(str::to_string).ok_or_else(|| format!("{path} names no file"))
}

/// The name of `img`'s copy in a host's pool: its checksum when known (so a replaced file is a
/// new volume), its id otherwise.
pub(super) fn image_volume_name(img: &image::Model) -> String {
    let fmt = img.format.as_deref().unwrap_or("qcow2");
    match img.sha256.as_deref() {
        Some(sha) if sha.len() >= 16 => format!("pier-image-{}.{fmt}", &sha[..16]),
        _ => format!("pier-image-{}.{fmt}", img.id),
    }
}

fn megabytes(bytes: u64) -> u64 {
    bytes / 1_000_000
}

impl Compute {
    /// Makes sure `img` is in `h`'s pool, uploading it when it is not (progress between
    /// `from` and `to` percent), and returns its path on the host.
    pub(super) async fn image_on_host(&self, ctx: &JobContext, h: &host::Model, img: &image::Model, from: u8, to: u8) -> Result<String, String> {
        let name = image_volume_name(img);
        let marker = format!("{name}.done");
        let dir = h.storage_dir.clone();
        let (d, n, m) = (dir.clone(), name.clone(), marker.clone());
        let present = self
            .conns
            .call(&h.uri, move |hv| {
                let vol = hv.volume(&d, &n)?;
                Ok(if hv.volume(&d, &m)?.is_some() { vol } else { None })
            })
            .await
            .map_err(|e| format!("cannot look at {}'s storage: {e}", h.name))?;
        if let Some(vol) = present {
            return Ok(vol.path);
        }
        let file = std::fs::File::open(&img.path).map_err(|e| format!("cannot read the image file {}: {e}", img.path))?;
        let length = file.metadata().map_err(|e| format!("cannot read the image file {}: {e}", img.path))?.len();
        let spec = VolumeSpec { name: name.clone(), format: img.format.clone().unwrap_or_else(|| "qcow2".into()), capacity: length, backing: None };
        let (sent_tx, mut sent_rx) = tokio::sync::watch::channel(0u64);
        let upload = self.conns.call(&h.uri, move |hv| {
            let _ = hv.delete_volume(&dir, &marker);
            let _ = hv.delete_volume(&dir, &spec.name); // an unfinished copy from before
            let mut file = std::io::BufReader::with_capacity(1 << 20, file);
            let vol = hv.upload_volume(&dir, &spec, &mut file, length, &mut |sent| {
                let _ = sent_tx.send(sent);
            })?;
            hv.create_volume(&dir, &VolumeSpec { name: marker, format: "raw".into(), capacity: 0, backing: None })?;
            Ok(vol)
        });
        let report = async {
            let span = u64::from(to.saturating_sub(from));
            while sent_rx.changed().await.is_ok() {
                let sent = *sent_rx.borrow_and_update();
                let pct = from + (sent * span / length.max(1)) as u8;
                let _ = ctx.progress(pct, format!("Copying the image to {} ({} of {} MB)", h.name, megabytes(sent), megabytes(length))).await;
            }
        };
        let (vol, ()) = tokio::join!(upload, report);
        vol.map(|v| v.path).map_err(|e| format!("copying the image to {} failed: {e}", h.name))
    }

    /// Creates `v`'s disk on `h` as a qcow2 overlay on the image at `backing` (replacing an old
    /// one: reinstall, or an interrupted attempt).
    pub(super) async fn create_overlay_volume(&self, h: &host::Model, v: &vps::Model, backing: String, backing_format: String) -> Result<(), String> {
        let spec = VolumeSpec { name: volume_name(&v.disk_path)?, format: "qcow2".into(), capacity: (v.disk_gb as u64) << 30, backing: Some((backing, backing_format)) };
        let dir = h.storage_dir.clone();
        self.conns
            .call(&h.uri, move |hv| {
                hv.delete_volume(&dir, &spec.name)?;
                hv.create_volume(&dir, &spec)
            })
            .await
            .map(|_| ())
            .map_err(|e| format!("creating the disk failed: {e}"))
    }

    /// Writes the seed ISO here and uploads it as `v`'s seed volume on `h`.
    pub(super) async fn upload_seed(&self, h: &host::Model, v: &vps::Model, user_data: &str, meta_data: &str, network_config: &str) -> Result<(), String> {
        let tmp = tempfile::tempdir().map_err(|e| format!("cannot make a temporary directory: {e}"))?;
        let iso = tmp.path().join("seed.iso");
        cloud_init::write_seed(&iso, user_data, meta_data, network_config).await?;
        let file = std::fs::File::open(&iso).map_err(|e| format!("cannot read the seed: {e}"))?;
        let length = file.metadata().map_err(|e| format!("cannot read the seed: {e}"))?.len();
        let spec = VolumeSpec { name: volume_name(&v.seed_path)?, format: "raw".into(), capacity: length, backing: None };
        let dir = h.storage_dir.clone();
        self.conns
            .call(&h.uri, move |hv| {
                hv.delete_volume(&dir, &spec.name)?;
                let mut file = file;
                hv.upload_volume(&dir, &spec, &mut file, length, &mut |_| {})
            })
            .await
            .map(|_| ())
            .map_err(|e| format!("uploading the cloud-init seed failed: {e}"))
    }

    /// Deletes `v`'s disk and seed volumes on `h` (missing ones are fine).
    pub(super) async fn delete_vps_volumes(&self, h: &host::Model, v: &vps::Model) -> Result<(), String> {
        let names = [&v.disk_path, &v.seed_path].into_iter().filter(|p| !p.is_empty()).map(|p| volume_name(p)).collect::<Result<Vec<_>, _>>()?;
        let dir = h.storage_dir.clone();
        self.conns
            .call(&h.uri, move |hv| names.iter().try_for_each(|n| hv.delete_volume(&dir, n)))
            .await
            .map_err(|e| format!("removing the disks on {} failed: {e}", h.name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_volumes_are_named_after_their_checksum() {
        let mut img = image::Model {
            id: 7,
            name: "debian".into(),
            os_family: "debian".into(),
            os_version: "12".into(),
            default_user: "debian".into(),
            path: "/x".into(),
            format: Some("qcow2".into()),
            virtual_size: None,
            file_size: None,
            sha256: Some("0123456789abcdef0123".into()),
            min_disk_gb: 1,
            public: true,
            status: "ready".into(),
            error: None,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
        };
        assert_eq!(image_volume_name(&img), "pier-image-0123456789abcdef.qcow2");
        img.sha256 = None;
        img.format = Some("raw".into());
        assert_eq!(image_volume_name(&img), "pier-image-7.raw");
        assert_eq!(volume_name("/var/lib/pier/pier-vps-3.qcow2").unwrap(), "pier-vps-3.qcow2");
    }
}
