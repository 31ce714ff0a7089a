//! OS images (staff): register an image file that is on the panel's machine, watch the check
//! (qemu-img inspection and SHA-256) move to done, and see why a file was refused.

use super::jobs::JobFeed;
use crate::api::compute::{delete_image, list_images, register_image, set_image_access};
use crate::api::list_users;
use crate::components::empty::EmptyState;
use crate::components::error_box::ErrorBox;
use crate::components::form::{field_error, form_error, TextField};
use crate::components::progress::ProgressBar;
use crate::components::shell::use_current_user;
use crate::components::toast::use_toasts;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use pier_proto::accounts::Role;
use pier_proto::compute::{ImageStatus, ImageView, NewImage, OS_FAMILIES};
use pier_proto::ApiError;

fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / 1_073_741_824.0)
}

#[component]
pub fn ImagesPage() -> impl IntoView {
    let me = use_current_user().0;
    let is_admin = move || me.get().and_then(|r| r.ok()).flatten().is_some_and(|u| u.role == Role::Admin);
    let version = RwSignal::new(0u32);
    let reload = move || version.update(|v| *v += 1);
    let images = Resource::new(move || version.get(), |_| list_images());
    let feed = JobFeed::new(50);
    // When a check finishes, the image row changes: read the list again.
    feed.on_finished(pier_proto::compute::KIND_IMAGE_INSPECT, reload);
    view! {
        <Title text="Images"/>
        <div class="page-head">
            <h1>"OS images"</h1>
            <p class="muted">"Cloud images VPS disks are made from (qcow2 or whole-disk raw). Each is checked with qemu-img and checksummed."</p>
        </div>
        <Show when=is_admin>
            <ImageForm on_saved=Callback::new(move |_| reload())/>
        </Show>
        <section class="card">
            <Transition fallback=|| view! { <p class="muted">"Loading images…"</p> }>
                {move || images.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <EmptyState icon="images" title="No images yet" text="Register a cloud image file above."/> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap"><table class="table images">
                            <thead><tr><th scope="col">"Image"</th><th scope="col">"OS"</th><th scope="col">"Format"</th>
                                <th scope="col">"Size"</th><th scope="col">"Status"</th><th scope="col"></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|i| view! { <ImageRow image=i feed admin=is_admin() on_changed=Callback::new(move |_| reload())/> }).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ImageRow(image: ImageView, feed: JobFeed, admin: bool, on_changed: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let id = image.id;
    let target = format!("image:{id}");
    let job = move || feed.jobs().into_iter().find(|j| j.target == target);
    let remove = {
        let name = image.name.clone();
        move |_| {
            let done = format!("Removed {name} (the file stays on disk).");
            toasts.act(delete_image(id), move |_| done, on_changed);
        }
    };
    let status = image.status;
    let make_public = move |_| toasts.act(set_image_access(id, true, vec![]), |i| format!("{} is public now.", i.name), on_changed);
    let access = if image.public { "public".to_string() } else { format!("private: {} user(s)", image.users.len()) };
    let private = !image.public;
    view! {
        <tr data-image=image.name.clone() data-status=status.as_str()>
            <td><strong>{image.name.clone()}</strong><div class="muted small"><code>{image.path.clone()}</code></div>
                {image.sha256.clone().map(|s| view! { <div class="muted small" title=s.clone()>{format!("sha256 {}…", &s[..16])}</div> })}</td>
            <td>{format!("{} {}", image.os_family, image.os_version)}<div class="muted small">{format!("user {}", image.default_user)}</div>
                <div class="muted small" data-testid="image-access">{access}</div></td>
            <td>{image.format.clone().unwrap_or_else(|| "-".into())}</td>
            <td class="small">{image.virtual_size.map(gib).unwrap_or_else(|| "-".into())}
                <div class="muted small">{format!("min disk {} GB", image.min_disk_gb)}</div></td>
            <td>
                {match status {
                    ImageStatus::Ready => view! { <span class="badge badge-succeeded">"ready"</span> }.into_any(),
                    ImageStatus::Failed => view! {
                        <span class="badge badge-failed">"refused"</span>
                        <div class="field-error small" role="alert">{image.error.clone().unwrap_or_default()}</div>
                    }.into_any(),
                    ImageStatus::Checking => view! {
                        <span class="badge badge-running">"checking"</span>
                        {move || job().map(|j| view! {
                            <ProgressBar value=j.progress state=j.state label=format!("Checking {}", id)/>
                            <div class="muted small">{j.message}</div>
                        })}
                    }.into_any(),
                }}
            </td>
            <td>{(admin && private).then(|| view! {
                <button type="button" class="button small" on:click=make_public>"Make public"</button>
            })}{admin.then(|| view! {
                <button type="button" class="button small danger" aria-label=format!("Remove image {}", image.name) on:click=remove.clone()>"Remove"</button>
            })}</td>
        </tr>
    }
}

#[component]
fn ImageForm(on_saved: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let name = RwSignal::new(String::new());
    let path = RwSignal::new(String::new());
    let family = RwSignal::new(String::from("debian"));
    let version = RwSignal::new(String::new());
    let user = RwSignal::new(String::from("debian"));
    let min_disk = RwSignal::new(String::from("2"));
    let sha = RwSignal::new(String::new());
    let error = RwSignal::new(None::<ApiError>);
    // Upload from the browser instead of naming a file already on the machine.
    let upload = RwSignal::new(false);
    // Private images: only the chosen users (and staff) see and use them.
    let private = RwSignal::new(false);
    let chosen = RwSignal::new(Vec::<i64>::new());
    let users = Resource::new(move || private.get(), |private| async move {
        if private { list_users(pier_proto::accounts::UserQuery { per_page: Some(100), ..Default::default() }).await.map(|p| p.users).unwrap_or_default() } else { Vec::new() }
    });
    let progress = RwSignal::new(None::<u8>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(min_disk_gb) = min_disk.get_untracked().trim().parse::<u32>() else {
            return error.set(Some(ApiError::invalid("min_disk_gb", "Enter a whole number of GB.")));
        };
        let sum = sha.get_untracked().trim().to_lowercase();
        let new = NewImage {
            name: name.get_untracked().trim().into(),
            path: if upload.get_untracked() { "/uploaded".into() } else { path.get_untracked().trim().into() },
            os_family: family.get_untracked(),
            os_version: version.get_untracked().trim().into(),
            default_user: user.get_untracked().trim().into(),
            min_disk_gb,
            public: !private.get_untracked(),
            expected_sha256: (!sum.is_empty()).then_some(sum),
            users: if private.get_untracked() { chosen.get_untracked() } else { Vec::new() },
        };
        if let Err(e) = new.validate() {
            return error.set(Some(e));
        }
        error.set(None);
        if upload.get_untracked() {
            return start_upload(new, progress, error, Callback::new(move |msg: String| {
                toasts.success(msg);
                name.set(String::new());
                on_saved.run(());
            }));
        }
        spawn_local(async move {
            match register_image(new).await {
                Ok((img, job)) => {
                    toasts.success(format!("Checking {} (job #{job}).", img.name));
                    name.set(String::new());
                    path.set(String::new());
                    on_saved.run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="card">
            <h2>"Add an image"</h2>
            <form class="inline-form" on:submit=submit novalidate=true>
                <div class="field">
                    <label for="img-source">"Source"</label>
                    <select id="img-source" on:change=move |ev| upload.set(event_target_value(&ev) == "upload")>
                        <option value="path">"a file on this machine"</option>
                        <option value="upload">"upload from this computer"</option>
                    </select>
                </div>
                <TextField id="img-name" label="Name" value=name error field="name"/>
                <Show when=move || !upload.get() fallback=move || view! {
                    <div class="field">
                        <label for="img-file">"Image file"</label>
                        <input id="img-file" type="file"/>
                        {field_error(error, "file")}
                    </div>
                }>
                    <TextField id="img-path" label="File on this machine" value=path error field="path"/>
                </Show>
                <div class="field">
                    <label for="img-family">"OS family"</label>
                    <select id="img-family" on:change=move |ev| family.set(event_target_value(&ev))>
                        {OS_FAMILIES.into_iter().map(|f| view! { <option value=f selected=f == "debian">{f}</option> }).collect_view()}
                    </select>
                </div>
                <TextField id="img-version" label="Version" value=version error field="os_version"/>
                <TextField id="img-user" label="Default login user" value=user error field="default_user"/>
                <TextField id="img-disk" label="Minimum disk (GB)" value=min_disk error field="min_disk_gb"/>
                <TextField id="img-sha" label="Expected SHA-256 (optional)" value=sha error field="expected_sha256"/>
                <div class="field">
                    <label for="img-visibility">"Visible to"</label>
                    <select id="img-visibility" on:change=move |ev| private.set(event_target_value(&ev) == "private")>
                        <option value="public">"everyone"</option>
                        <option value="private">"only chosen users"</option>
                    </select>
                </div>
                <Show when=move || private.get()>
                    <fieldset class="checks">
                        <legend>"Users who may use it"</legend>
                        <Transition fallback=|| ()>
                            {move || users.get().unwrap_or_default().into_iter().map(|u| {
                                let uid = u.id;
                                view! {
                                    <label class="check"><input type="checkbox" on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        chosen.update(|c| { c.retain(|x| *x != uid); if on { c.push(uid); } });
                                    }/>{u.username}</label>
                                }
                            }).collect_view()}
                        </Transition>
                        {field_error(error, "users")}
                    </fieldset>
                </Show>
                <button type="submit" class="button primary" disabled=move || progress.get().is_some()>
                    {move || if upload.get() { "Upload" } else { "Register" }}</button>
            </form>
            {move || progress.get().map(|p| view! {
                <ProgressBar value=p state=pier_proto::jobs::JobState::Running label="Uploading the image"/>
                <p class="muted small" data-testid="upload-progress">{format!("Uploading… {p} %")}</p>
            })}
            {form_error(error)}
        </section>
    }
}

/// Sends the chosen file to `PUT /api/v1/images/upload` with the image's details in the query.
fn start_upload(meta: NewImage, progress: RwSignal<Option<u8>>, error: RwSignal<Option<ApiError>>, done: Callback<String>) {
    use crate::components::upload::{put_chosen_file, query_value as q};
    let mut url = format!(
        "/api/v1/images/upload?name={}&os_family={}&os_version={}&default_user={}&min_disk_gb={}",
        q(&meta.name), q(&meta.os_family), q(&meta.os_version), q(&meta.default_user), meta.min_disk_gb
    );
    if let Some(sum) = &meta.expected_sha256 {
        url.push_str(&format!("&sha256={}", q(sum)));
    }
    if !meta.public {
        let users: Vec<String> = meta.users.iter().map(|u| u.to_string()).collect();
        url.push_str(&format!("&public=false&users={}", users.join(",")));
    }
    let answered = Callback::new(move |r: Result<serde_json::Value, ApiError>| match r {
        Ok(v) => done.run(format!("Uploaded {}; checking it (job #{}).", v["image"]["name"].as_str().unwrap_or("the image"), v["job"])),
        Err(e) => error.set(Some(e)),
    });
    if let Err(e) = put_chosen_file("img-file", &url, "file", progress, answered) {
        error.set(Some(e));
    }
}
