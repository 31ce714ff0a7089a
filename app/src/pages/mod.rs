pub mod jobs;
pub mod login;
pub mod not_found;
pub mod overview;
pub mod profile;
pub mod system;
pub mod upcoming;
pub mod users;
