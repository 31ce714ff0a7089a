//! Sending a chosen file with a progress bar: `PUT` of the file as the request body
//! (XMLHttpRequest reports upload progress; fetch does not). The server streams it to disk.

use leptos::prelude::*;
use pier_proto::ApiError;

/// PUTs the file chosen in the `<input type=file id=input_id>` to `url`. `progress` holds the
/// percentage while it is on its way (`None` before and after); `done` gets the server's JSON
/// answer, or its error in words. Refused at once, with nothing sent, when no file is chosen.
#[cfg(feature = "hydrate")]
pub fn put_chosen_file(input_id: &str, url: &str, field: &str, progress: RwSignal<Option<u8>>, done: Callback<Result<serde_json::Value, ApiError>>) -> Result<(), ApiError> {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    let file = document()
        .get_element_by_id(input_id)
        .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
        .and_then(|i| i.files())
        .and_then(|f| f.get(0))
        .ok_or_else(|| ApiError::invalid(field, "Choose the file to upload."))?;
    let fail = |m: &str| ApiError::invalid(field, m);
    let xhr = web_sys::XmlHttpRequest::new().map_err(|_| fail("This browser cannot upload files."))?;
    xhr.open("PUT", url).map_err(|_| fail("This browser cannot upload files."))?;
    progress.set(Some(0));
    let on_progress = Closure::<dyn FnMut(web_sys::ProgressEvent)>::new(move |e: web_sys::ProgressEvent| {
        if e.length_computable() && e.total() > 0.0 {
            progress.set(Some((e.loaded() * 100.0 / e.total()).min(100.0) as u8));
        }
    });
    if let Ok(up) = xhr.upload() {
        up.set_onprogress(Some(on_progress.as_ref().unchecked_ref()));
    }
    let answer = xhr.clone();
    let field = field.to_string();
    let on_end = Closure::<dyn FnMut()>::new(move || {
        progress.set(None);
        let status = answer.status().unwrap_or(0);
        let body = answer.response_text().ok().flatten().unwrap_or_default();
        if (200..300).contains(&status) {
            done.run(Ok(serde_json::from_str(&body).unwrap_or_default()));
        } else {
            done.run(Err(serde_json::from_str::<ApiError>(&body).unwrap_or_else(|_| ApiError::invalid(&field, format!("The upload failed ({status}); check the connection and try again.")))));
        }
    });
    xhr.set_onloadend(Some(on_end.as_ref().unchecked_ref()));
    // Uploads are rare and one at a time: the two small handlers live as long as the page.
    on_progress.forget();
    on_end.forget();
    if xhr.send_with_opt_blob(Some(&file)).is_err() {
        progress.set(None);
        return Err(fail("The upload could not start."));
    }
    Ok(())
}

/// Server rendering never uploads (the button works once the page is hydrated).
#[cfg(not(feature = "hydrate"))]
pub fn put_chosen_file(_: &str, _: &str, _: &str, _: RwSignal<Option<u8>>, _: Callback<Result<serde_json::Value, ApiError>>) -> Result<(), ApiError> {
    Ok(())
}

/// A query-string value, percent-encoded.
pub fn query_value(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
