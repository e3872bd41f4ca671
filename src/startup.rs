//! Build the application: pool, keys, routes and middleware. Tests build it
//! on port 0 and talk HTTP to it.

use std::net::TcpListener;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpResponse, HttpServer};
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::keys::{JwtKeys, KeyError};
use crate::config::Config;
use crate::db::{self, DbSetupError};
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] DbSetupError),
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error("cannot listen on {0}: {1}")]
    Bind(String, std::io::Error),
}

pub struct Application {
    port: u16,
    server: Server,
    /// Polled beside the server, so it ends with it.
    maintenance: std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
}

/// Every route of the service.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v1")
            .configure(crate::auth::configure)
            .configure(crate::organizations::configure)
            // Before the routes with `/{id}/…` segments that could shadow them.
            .configure(crate::groups::configure)
            .configure(crate::resources::configure)
            .configure(crate::taxonomies::configure)
            .configure(crate::events::configure)
            .configure(crate::calendar::handlers::configure)
            .configure(crate::changes::configure),
    )
    .service(
        crate::http::resource("/healthz", "GET, HEAD").route(web::get().to(crate::health::healthz)),
    )
    .service(
        crate::http::resource("/readyz", "GET, HEAD").route(web::get().to(crate::health::readyz)),
    )
    .service(
        crate::http::resource("/metrics", "GET, HEAD").route(web::get().to(crate::health::metrics)),
    )
    .service(
        SwaggerUi::new("/docs/{_:.*}")
            .external_url_unchecked("/openapi.json", crate::openapi::document()),
    )
    .service(web::resource("/docs").route(web::get().to(|| async {
        HttpResponse::MovedPermanently()
            .insert_header((header::LOCATION, "/docs/"))
            .finish()
    })));
}

/// Open connections each worker accepts. With `CIRCLES_MAX_CONNECTIONS`
/// unset, the open-file limit decides (raised to its hard limit first): what
/// it allows less the database pool and a margin for files, so that the
/// service stops accepting before `accept` fails for lack of descriptors
/// (the connections beyond wait in the listen backlog).
fn connections_per_worker(config: &Config) -> usize {
    let workers = config.workers.max(1);
    let total = if config.max_connections > 0 {
        config.max_connections
    } else {
        let files = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
        let reserve = u64::from(config.db_pool_size) + 64;
        usize::try_from(files.saturating_sub(reserve)).unwrap_or(usize::MAX)
    };
    (total / workers).clamp(16, 25_000)
}

async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(
        "there is no such route; see /docs for the API".into(),
    ))
}

impl Application {
    pub fn build(config: Config) -> Result<Application, StartupError> {
        let pool = db::connect_with(
            &config.database_url,
            config.db_pool_size,
            db::CHECKOUT_TIMEOUT,
        )?;
        crate::maintenance::at_start(&pool).map_err(DbSetupError::Migration)?;
        let keys = JwtKeys::from_config(&config)?;
        let address = format!("{}:{}", config.host, config.port);
        let listener =
            TcpListener::bind(&address).map_err(|e| StartupError::Bind(address.clone(), e))?;
        let port = listener
            .local_addr()
            .map_err(|e| StartupError::Bind(address.clone(), e))?
            .port();
        let workers = config.workers;
        let per_worker = connections_per_worker(&config);
        let body_deadline = crate::extract::BodyDeadline(config.body_timeout_seconds);
        let limits = web::Data::from(crate::ratelimit::RateLimits::from_config(&config));
        let cache = web::Data::new(
            crate::cache::ResponseCache::new(
                config.response_cache_seconds,
                config.cache_max_age,
                config.response_cache_mb,
            )
            .shared(db::Backend::from_url(&config.database_url) == db::Backend::Postgres),
        );
        let state = web::Data::new(AppState {
            pool,
            keys,
            config,
            maintenance: Default::default(),
            db_health: Default::default(),
        });
        // Upkeep and the database watch run beside the server.
        let housekeeping = limits.clone();
        let tasks = futures_util::future::join3(
            crate::maintenance::task(state.clone()),
            crate::health::watch(state.clone()),
            async move {
                loop {
                    actix_web::rt::time::sleep(std::time::Duration::from_secs(60)).await;
                    housekeeping.housekeeping();
                }
            },
        );
        let maintenance = Box::pin(async move {
            tasks.await;
        });
        let server = HttpServer::new(move || {
            // No cookies are used, so answering any origin is safe.
            let cors = Cors::default()
                .allow_any_origin()
                .allow_any_method()
                .allow_any_header()
                .expose_headers([
                    header::LINK,
                    header::LOCATION,
                    header::ETAG,
                    header::HeaderName::from_static("x-request-id"),
                ])
                .max_age(86_400);
            App::new()
                .app_data(state.clone())
                .app_data(cache.clone())
                .app_data(body_deadline)
                .app_data(limits.clone())
                .configure(routes)
                .default_service(web::to(not_found))
                .wrap(from_fn(crate::middleware::etags))
                .wrap(from_fn(crate::cache::response_cache))
                .wrap(from_fn(crate::ratelimit::limit))
                .wrap(cors)
                .wrap(from_fn(crate::middleware::request_context))
                .wrap(from_fn(crate::metrics::record))
        })
        .workers(workers)
        .max_connections(per_worker)
        // The request head must arrive within 5 s, as by default; bodies
        // have their own deadline (`CIRCLES_BODY_TIMEOUT_SECONDS`, in
        // `extract.rs`).
        .client_request_timeout(std::time::Duration::from_secs(5))
        .client_disconnect_timeout(std::time::Duration::from_secs(2))
        .keep_alive(std::time::Duration::from_secs(30))
        .shutdown_timeout(30)
        .disable_signals()
        .listen(listener)
        .map_err(|e| StartupError::Bind(address, e))?
        .run();
        Ok(Application {
            port,
            server,
            maintenance,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Run until the server stops (tests stop it by dropping the runtime).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        beside(self.server, self.maintenance).await
    }

    /// Run until SIGTERM or SIGINT, then stop gracefully: in-flight requests
    /// finish (up to 30 s), new connections are refused.
    pub async fn run_until_signal(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        actix_web::rt::spawn(async move {
            wait_for_signal().await;
            log::info!("shutdown signal received; finishing in-flight requests");
            handle.stop(true).await;
        });
        beside(self.server, self.maintenance).await
    }
}

#[cfg(unix)]
async fn wait_for_signal() {
    use actix_web::rt::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio_select(term.recv(), actix_web::rt::signal::ctrl_c()).await;
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = actix_web::rt::signal::ctrl_c().await;
}

/// Run `main` to its end while polling `task` (which never ends) beside it.
async fn beside<T>(
    main: impl std::future::Future<Output = T>,
    task: impl std::future::Future<Output = ()>,
) -> T {
    futures_util::pin_mut!(main, task);
    match futures_util::future::select(main, task).await {
        futures_util::future::Either::Left((out, _)) => out,
        futures_util::future::Either::Right(((), main)) => main.await,
    }
}

/// Wait for whichever of two futures finishes first.
async fn tokio_select<A: std::future::Future, B: std::future::Future>(a: A, b: B) {
    futures_util::pin_mut!(a, b);
    futures_util::future::select(a, b).await;
}
