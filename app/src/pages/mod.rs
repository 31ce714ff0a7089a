pub mod jobs;
pub mod not_found;
pub mod overview;
pub mod system;
pub mod upcoming;
