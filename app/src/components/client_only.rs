//! Parts drawn in the browser only, once the page has hydrated.
//!
//! A resource made inside another `Transition` (a page's sections that need the page's record
//! first) races on the server: it may resolve after its own `Transition` was written out — the
//! fallback goes into the HTML — while in the browser it resolves at once and draws its
//! content, and hydration meets nodes it did not expect. Parts like that go in here: the server
//! and the hydrating browser both draw nothing, then the browser draws them and asks for their
//! data itself.

use leptos::prelude::*;

#[component]
pub fn ClientOnly(children: ChildrenFn) -> impl IntoView {
    let mounted = RwSignal::new(false);
    // Effects run in the browser only, after hydration.
    Effect::new(move |_| mounted.set(true));
    move || mounted.get().then(|| children())
}
