//! revline-web in-process (one test binary): the API (`api`) and the web app (`pages`),
//! each on a fresh store of both kinds per test.

mod api;
mod pages;
