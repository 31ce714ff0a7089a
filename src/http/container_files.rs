//! REST for the container file manager (the page at `/containers/{id}/files` uses it): list,
//! open and save text, upload (streamed, with its declared length), new folder, rename, delete,
//! and download (a file as is, a folder as .tar.gz). Reading: owner and staff; changes: owner and
//! admins, audited.

use super::auth::Signed;
use super::rest::{bad_json, RestError, RestResult};
use app::state::{CspNonce, ServerState};
use axum::body::Body;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures::{StreamExt, TryStreamExt};
use pier_proto::containers::FileKind;
use pier_proto::ApiError;

/// The largest upload accepted (the declared length is checked before anything is written).
pub const UPLOAD_MAX_BYTES: u64 = 4 << 30;

#[derive(serde::Deserialize)]
pub struct PathQuery {
    path: String,
}

pub async fn list(State(s): State<ServerState>, Signed(actor, _): Signed, Path(id): Path<String>, Query(q): Query<PathQuery>) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.containers.list_files(&actor, &id, &q.path).await?))
}

pub async fn read_text(State(s): State<ServerState>, Signed(actor, _): Signed, Path(id): Path<String>, Query(q): Query<PathQuery>) -> RestResult<impl IntoResponse> {
    Ok(Json(s.core.containers.read_text_file(&actor, &id, &q.path).await?))
}

#[derive(serde::Deserialize)]
pub struct SaveText {
    text: String,
}

pub async fn save_text(
    State(s): State<ServerState>,
    Signed(actor, ctx): Signed,
    Path(id): Path<String>,
    Query(q): Query<PathQuery>,
    body: Result<Json<SaveText>, JsonRejection>,
) -> RestResult<impl IntoResponse> {
    let Json(SaveText { text }) = body.map_err(bad_json)?;
    s.core.containers.write_text_file(&actor, &id, &q.path, text, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(serde::Deserialize)]
pub struct UploadQuery {
    dir: String,
    name: String,
}

pub async fn upload(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>, Query(q): Query<UploadQuery>, req: Request) -> RestResult<impl IntoResponse> {
    let length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        .ok_or_else(|| RestError(ApiError::invalid("file", "The upload must declare its length (Content-Length).")))?;
    if length > UPLOAD_MAX_BYTES {
        return Err(RestError(ApiError::invalid("file", format!("Uploads are limited to {} GiB.", UPLOAD_MAX_BYTES >> 30))));
    }
    let body = req.into_body().into_data_stream().map_err(std::io::Error::other);
    s.core.containers.upload_file(&actor, &id, &q.dir, &q.name, length, body, &ctx).await?;
    Ok(StatusCode::CREATED)
}

#[derive(serde::Deserialize)]
pub struct NewFolder {
    dir: String,
    name: String,
}

pub async fn folder(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>, body: Result<Json<NewFolder>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(NewFolder { dir, name }) = body.map_err(bad_json)?;
    s.core.containers.make_folder(&actor, &id, &dir, &name, &ctx).await?;
    Ok(StatusCode::CREATED)
}

#[derive(serde::Deserialize)]
pub struct Rename {
    path: String,
    name: String,
}

pub async fn rename(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>, body: Result<Json<Rename>, JsonRejection>) -> RestResult<impl IntoResponse> {
    let Json(Rename { path, name }) = body.map_err(bad_json)?;
    s.core.containers.rename_path(&actor, &id, &path, &name, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn delete(State(s): State<ServerState>, Signed(actor, ctx): Signed, Path(id): Path<String>, Query(q): Query<PathQuery>) -> RestResult<impl IntoResponse> {
    s.core.containers.delete_path(&actor, &id, &q.path, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A file as it is; a folder as .tar.gz, compressed while it streams.
pub async fn download(State(s): State<ServerState>, Signed(actor, _): Signed, Path(id): Path<String>, Query(q): Query<PathQuery>) -> RestResult<Response> {
    let (engine, entry) = s.core.containers.download_source(&actor, &id, &q.path).await?;
    let tar = engine.archive(&id, &q.path).map_err(|e| RestError(pier_core::containers::ContainersError::from(e).into()))?;
    let reader = tokio_util::io::StreamReader::new(Box::pin(tar.map_err(std::io::Error::other)));
    let (body, file_name, kind) = if entry.kind == FileKind::Dir {
        let gz = async_compression::tokio::bufread::GzipEncoder::new(reader);
        (Body::from_stream(tokio_util::io::ReaderStream::new(gz)), format!("{}.tar.gz", entry.name), "application/gzip")
    } else {
        // The archive of a file is one tar entry: send its bytes only.
        let mut archive = tokio_tar::Archive::new(reader);
        let mut entries = archive.entries().map_err(|e| RestError(ApiError::new(pier_proto::ErrorCode::Unavailable, e.to_string())))?;
        let first = entries.next().await.ok_or_else(|| RestError(ApiError::not_found(q.path.clone())))?;
        let entry_reader = first.map_err(|e| RestError(ApiError::new(pier_proto::ErrorCode::Unavailable, e.to_string())))?;
        (Body::from_stream(tokio_util::io::ReaderStream::new(entry_reader)), entry.name.clone(), "application/octet-stream")
    };
    let mut res = body.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    let safe: String = file_name.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' }).collect();
    res.headers_mut().insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&format!("attachment; filename=\"{safe}\"")).expect("ascii"));
    Ok(res)
}

pub async fn page(Extension(nonce): Extension<CspNonce>) -> Response {
    let html = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Files · Pier</title><link rel="stylesheet" href="/files.css"></head><body>
<header class="bar"><a href="/containers">← Containers</a><strong id="title">Files</strong>
<nav id="crumbs" aria-label="Folder"></nav><span id="status" role="status"></span></header>
<div class="tools">
<button type="button" id="up">Up</button>
<button type="button" id="new-file">New file</button><button type="button" id="new-folder">New folder</button>
<label class="upload">Upload <input type="file" id="upload" multiple></label>
<a id="download-folder" href="">Download folder (.tar.gz)</a>
<progress id="progress" max="100" value="0" hidden></progress>
</div>
<main><table id="files"><thead><tr><th scope="col">Name</th><th scope="col">Size</th><th scope="col">Mode</th><th scope="col">Modified</th><th scope="col"></th></tr></thead><tbody></tbody></table>
<section id="editor" hidden><h2 id="editor-title"></h2><textarea id="text" spellcheck="false" aria-label="File contents"></textarea>
<div><button type="button" id="save">Save</button> <button type="button" id="close">Close</button></div></section></main>
<script type="module" nonce="{nonce}" src="/files.js"></script>
</body></html>"#,
        nonce = nonce.0
    );
    super::page::standalone(html, &nonce, false)
}
