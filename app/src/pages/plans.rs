//! Plans (admins and billing): the VPS sizes users choose from.

use crate::api::compute::{delete_plan, list_plans, save_plan};
use crate::components::empty::EmptyState;
use crate::components::error_box::ErrorBox;
use crate::components::form::{form_error, TextField};
use crate::components::toast::use_toasts;
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use pier_proto::compute::{PlanSettings, PlanView};
use pier_proto::ApiError;

fn settings_of(p: &PlanView) -> PlanSettings {
    PlanSettings {
        name: p.name.clone(),
        vcpus: p.vcpus,
        memory_mib: p.memory_mib,
        disk_gb: p.disk_gb,
        traffic_gb: p.traffic_gb,
        snapshot_limit: p.snapshot_limit,
        active: p.active,
    }
}

#[component]
pub fn PlansPage() -> impl IntoView {
    let toasts = use_toasts();
    let version = RwSignal::new(0u32);
    let reload = move || version.update(|v| *v += 1);
    let plans = Resource::new(move || version.get(), |_| list_plans());
    let after = Callback::new(move |_| reload());
    let toggle = move |p: PlanView| {
        let mut s = settings_of(&p);
        s.active = !s.active;
        toasts.act(
            save_plan(Some(p.id), s),
            |p| if p.active { format!("{} is offered again.", p.name) } else { format!("{} is no longer offered.", p.name) },
            after,
        );
    };
    let remove = move |p: PlanView| toasts.act(delete_plan(p.id), move |_| format!("Deleted {}.", p.name), after);
    view! {
        <Title text="Plans"/>
        <div class="page-head">
            <h1>"Plans"</h1>
            <p class="muted">"Sizes users choose when they create a VPS. Retired plans stay on existing VPSs."</p>
        </div>
        <PlanForm on_saved=Callback::new(move |_| reload())/>
        <section class="card">
            <Transition fallback=|| view! { <p class="muted">"Loading plans…"</p> }>
                {move || plans.get().map(|r| match r {
                    Err(e) => view! { <ErrorBox error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! { <EmptyState icon="plans" title="No plans yet" text="Add the first size above."/> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap"><table class="table plans">
                            <thead><tr><th scope="col">"Plan"</th><th scope="col">"vCPU"</th><th scope="col">"Memory"</th><th scope="col">"Disk"</th>
                                <th scope="col">"Traffic"</th><th scope="col">"Snapshots"</th><th scope="col">"Offered"</th><th scope="col"></th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|p| {
                                    let (t, r) = (p.clone(), p.clone());
                                    view! {
                                        <tr data-plan=p.name.clone()>
                                            <td><strong>{p.name.clone()}</strong></td>
                                            <td>{p.vcpus}</td>
                                            <td>{format!("{} MiB", p.memory_mib)}</td>
                                            <td>{format!("{} GB", p.disk_gb)}</td>
                                            <td>{p.traffic_gb.map(|t| format!("{t} GB")).unwrap_or_else(|| "unlimited".into())}</td>
                                            <td>{p.snapshot_limit}</td>
                                            <td>{if p.active { "yes" } else { "no" }}</td>
                                            <td><div class="row-actions">
                                                <button type="button" class="button small" on:click=move |_| toggle(t.clone())>{if p.active { "Retire" } else { "Offer" }}</button>
                                                <button type="button" class="button small danger" aria-label=format!("Delete plan {}", p.name) on:click=move |_| remove(r.clone())>"Delete"</button>
                                            </div></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn PlanForm(on_saved: Callback<()>) -> impl IntoView {
    let toasts = use_toasts();
    let name = RwSignal::new(String::new());
    let vcpus = RwSignal::new(String::from("1"));
    let memory = RwSignal::new(String::from("1024"));
    let disk = RwSignal::new(String::from("20"));
    let traffic = RwSignal::new(String::new());
    let snapshots = RwSignal::new(String::from("3"));
    let error = RwSignal::new(None::<ApiError>);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let num = |s: RwSignal<String>, field: &str| s.get_untracked().trim().parse::<u64>().map_err(|_| ApiError::invalid(field, "Enter a whole number."));
        let parsed = (|| {
            Ok::<_, ApiError>(PlanSettings {
                name: name.get_untracked().trim().to_string(),
                vcpus: num(vcpus, "vcpus")? as u32,
                memory_mib: num(memory, "memory_mib")?,
                disk_gb: num(disk, "disk_gb")?,
                traffic_gb: if traffic.get_untracked().trim().is_empty() { None } else { Some(num(traffic, "traffic_gb")?) },
                snapshot_limit: num(snapshots, "snapshot_limit")? as u32,
                active: true,
            })
        })();
        let settings = match parsed.and_then(|s| s.validate().map(|_| s)) {
            Ok(s) => s,
            Err(e) => return error.set(Some(e)),
        };
        error.set(None);
        spawn_local(async move {
            match save_plan(None, settings).await {
                Ok(p) => {
                    toasts.success(format!("Plan {} added.", p.name));
                    name.set(String::new());
                    on_saved.run(());
                }
                Err(e) => error.set(Some(e)),
            }
        });
    };
    view! {
        <section class="card">
            <h2>"New plan"</h2>
            <form class="inline-form" on:submit=submit novalidate=true>
                <TextField id="plan-name" label="Name" value=name error field="name"/>
                <TextField id="plan-vcpus" label="vCPUs" value=vcpus error field="vcpus"/>
                <TextField id="plan-memory" label="Memory (MiB)" value=memory error field="memory_mib"/>
                <TextField id="plan-disk" label="Disk (GB)" value=disk error field="disk_gb"/>
                <TextField id="plan-traffic" label="Traffic (GB, empty = unlimited)" value=traffic error field="traffic_gb"/>
                <TextField id="plan-snapshots" label="Snapshots" value=snapshots error field="snapshot_limit"/>
                <button type="submit" class="button primary">"Add plan"</button>
            </form>
            {form_error(error)}
        </section>
    }
}
