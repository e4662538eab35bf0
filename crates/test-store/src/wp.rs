//! What WordPress answers: pages with the API Link header, the REST index, the few routes a probe
//! touches, and the edge in front of it (challenges, redirects, non-WordPress sites).

use std::collections::HashSet;

use http_body_util::Full;
use hyper::Response;
use hyper::body::Bytes;
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value, json};

use super::auth::{self, Auth};
use super::{Answer, Challenge, Down, Firewall, FrontPage, Permalinks, Req, Shared, TestKey};

const JSON: &str = "application/json; charset=UTF-8";
const HTML: &str = "text/html; charset=UTF-8";
/// The first three products; a larger catalogue continues with generated ones.
const PRODUCTS: [(u64, &str); 3] = [(11, "Hoodie"), (12, "Beanie"), (13, "Album")];

fn answer(status: u16, content_type: &str, body: impl Into<Bytes>) -> Answer {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(body.into()))
        .unwrap()
}

fn json(status: u16, value: &Value) -> Answer {
    answer(status, JSON, serde_json::to_vec(value).unwrap())
}

/// A WordPress REST error, answered as `{code, message, data: {status}}`.
pub(super) struct WpError {
    status: u16,
    code: &'static str,
    message: String,
}

impl WpError {
    pub(super) fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        let message = message.into();
        WpError {
            status,
            code,
            message,
        }
    }

    pub(super) fn answer(&self) -> Answer {
        let (status, code, message) = (self.status, self.code, &self.message);
        let body = json!({ "code": code, "message": message, "data": { "status": status } });
        json(status, &body)
    }
}

fn error(status: u16, code: &'static str, message: &str) -> Answer {
    WpError::new(status, code, message).answer()
}

fn no_route() -> Answer {
    error(
        404,
        "rest_no_route",
        "No route was found matching the URL and request method.",
    )
}

fn html(status: u16, title: &str) -> Answer {
    let body = format!(
        "<!DOCTYPE html>\n<html><head><title>{title}</title></head>\
         <body><h1>{title}</h1></body></html>\n"
    );
    answer(status, HTML, body)
}

fn redirect(status: u16, location: String) -> Answer {
    let mut a = html(status, "Moved");
    a.headers_mut()
        .insert("location", location.parse().unwrap());
    a
}

pub(super) fn respond(s: &Shared, r: &Req) -> Answer {
    let cfg = &s.config;
    if let Some(challenge) = cfg.challenge {
        let (status, header) = match challenge {
            Challenge::Cloudflare => (403, "cf-mitigated"),
            Challenge::SiteGround => (202, "sg-captcha"),
        };
        let mut a = html(status, "Just a moment...");
        a.headers_mut().insert(header, "challenge".parse().unwrap());
        return a;
    }
    if cfg.redirect_loop {
        let path = match r.path.strip_suffix('/') {
            Some(stripped) if !stripped.is_empty() => stripped.to_owned(),
            _ => format!("{}/", r.path.trim_end_matches('/')),
        };
        let query = r.query.as_ref().map_or(String::new(), |q| format!("?{q}"));
        return redirect(302, format!("{}{path}{query}", s.origin));
    }
    let redirect_to = s.state.lock().unwrap().redirect_to.clone();
    if let Some(to) = redirect_to {
        let to = to.trim_end_matches('/');
        return redirect(301, format!("{to}{}", r.path_and_query()));
    }
    if cfg.trailing_slash && wants_slash(&r.path) {
        return nginx_slash_redirect(s, r);
    }
    if let Some(refused) = firewall(s, r) {
        return refused;
    }
    // The web server asks for its own password before WordPress runs.
    if let Some((user, password, realm)) = &cfg.site_password
        && auth::basic_login(r) != Some((user.clone(), password.clone()))
    {
        let mut a = html(401, "401 Authorization Required");
        let challenge = format!("Basic realm=\"{realm}\"");
        a.headers_mut()
            .insert("www-authenticate", challenge.parse().unwrap());
        return a;
    }
    if !cfg.wordpress {
        if r.path == "/wp-json" || r.path.starts_with("/wp-json/") {
            return html(404, "Not Found");
        }
        return html(200, "Some other site");
    }
    let rest_route = rest_route(s, r);
    if rest_route.is_some()
        && let Some(busy) = take_busy(s)
    {
        // A host's rate limit (or WordPress maintenance) answers before PHP runs.
        let title = if busy.status == 429 {
            "Too Many Requests"
        } else {
            "Service Unavailable"
        };
        let mut a = html(busy.status, title);
        // An empty `retry_after` is a limit that does not say when.
        if !busy.retry_after.is_empty() {
            a.headers_mut()
                .insert("retry-after", busy.retry_after.parse().unwrap());
        }
        return a;
    }
    match cfg.down {
        Some(Down::Maintenance) => {
            // wp_maintenance(): the same page for every request, REST included.
            let mut a = html(503, "Maintenance");
            a.headers_mut()
                .insert("retry-after", "600".parse().unwrap());
            return a;
        }
        Some(Down::Fatal) if rest_route.is_some() => {
            return error(
                500,
                "internal_server_error",
                "There has been a critical error on this website.",
            );
        }
        Some(Down::Fatal) => return html(500, "There has been a critical error on this website."),
        None => {}
    }
    if let Some(route) = rest_route {
        return rest(s, r, &route);
    }
    let subdir = cfg.subdir.as_deref().unwrap_or("");
    let relative = match r.path.strip_prefix(subdir) {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ => return html(404, "Not Found"),
    };
    if let Some(dir) = wordpress_dir(s) {
        // WordPress's files live in `dir`: its admin there, the home's /wp-admin/ redirected.
        if relative == "/wp-admin" || relative.starts_with("/wp-admin/") {
            let query = r.query.as_ref().map_or(String::new(), |q| format!("?{q}"));
            let to = format!("{}{dir}{relative}{query}", s.wp_home);
            let mut a = answer(302, HTML, "");
            let headers = a.headers_mut();
            headers.insert("location", to.parse().unwrap());
            headers.insert("x-redirect-by", "WordPress".parse().unwrap());
            return a;
        }
        if let Some(inside) = relative.strip_prefix(dir.as_str())
            && (inside == "/wp-login.php" || inside.starts_with("/wp-admin"))
        {
            return html(200, "Log In");
        }
    }
    if relative == "/wp-login.php" || relative.starts_with("/wp-admin") {
        if cfg.behind_tls_proxy {
            // FORCE_SSL_ADMIN (siteurl is https) with is_ssl() false: a redirect to the https
            // URL, which is where the request already was.
            return redirect(302, format!("{}{}", s.origin, r.path_and_query()));
        }
        return html(200, "Log In");
    }
    let home = matches!(relative, "/" | "/index.php");
    if cfg.permalinks == Permalinks::Pretty && !home {
        // Any other pretty URL, /wp-json/ under another REST prefix included: WordPress's 404.
        return page(s, r, 404);
    }
    // The home page; with Plain permalinks nginx's try_files hands /wp-json/ to index.php too.
    page(s, r, 200)
}

/// `wordpress_dir`, normalised: `/wp` (a leading slash, none trailing), if set.
fn wordpress_dir(s: &Shared) -> Option<String> {
    let dir = s.config.wordpress_dir.as_deref()?.trim_matches('/');
    (!dir.is_empty()).then(|| format!("/{dir}"))
}

/// WordPress's site URL (`siteurl`): where its files and wp-admin are.
fn site_url(s: &Shared) -> String {
    format!("{}{}", s.wp_home, wordpress_dir(s).unwrap_or_default())
}

/// A trailing-slash rule's test: no slash at the end, and no dot in the last segment.
fn wants_slash(path: &str) -> bool {
    !path.ends_with('/') && !path.rsplit('/').next().unwrap_or("").contains('.')
}

/// nginx's `rewrite ^(.*[^/])$ $1/ permanent;`: 301 to the same URL with a slash, query kept,
/// with nginx's own page (as recorded from nginx 1.22.1).
fn nginx_slash_redirect(s: &Shared, r: &Req) -> Answer {
    let query = r.query.as_ref().map_or(String::new(), |q| format!("?{q}"));
    let location = format!("{}{}/{query}", s.origin, r.path);
    let body = "<html>\r\n<head><title>301 Moved Permanently</title></head>\r\n<body>\r\n<center><h1>301 Moved Permanently</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n";
    Response::builder()
        .status(301)
        .header("server", "nginx/1.22.1")
        .header("content-type", "text/html")
        .header("location", location)
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap()
}

/// The collections a firewall rule for unknown write routes lets through.
const KNOWN_COLLECTIONS: [&str; 4] = ["products", "orders", "customers", "coupons"];

/// mod_security's refusal of a REST write, if the firewall's rule matches this request.
fn firewall(s: &Shared, r: &Req) -> Option<Answer> {
    let rule = s.state.lock().unwrap().firewall?;
    if !matches!(r.method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE") {
        return None;
    }
    let route = rest_route(s, r)?;
    let refused = match rule {
        Firewall::AllWrites => true,
        Firewall::UnknownWriteRoutes => match route.to_ascii_lowercase().strip_prefix("/wc/v3/") {
            Some(rest) => {
                let collection = rest.split('/').next().unwrap_or("");
                !KNOWN_COLLECTIONS.contains(&collection)
            }
            None => false,
        },
    };
    if !refused {
        return None;
    }
    // As recorded from a store behind such a rule.
    let body = "<head><title>Not Acceptable!</title></head><body><h1>Not Acceptable!</h1><p>An appropriate representation of the requested resource could not be found on this server. This error was generated by Mod_Security.</p></body></html>";
    let a = Response::builder()
        .status(406)
        .header("content-type", "text/html; charset=iso-8859-1")
        .header("server", "Apache")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .unwrap();
    Some(a)
}

/// One REST request turned away, if the store is busy.
fn take_busy(s: &Shared) -> Option<super::Busy> {
    let mut state = s.state.lock().unwrap();
    let busy = state.busy.as_mut()?;
    if busy.times == 0 {
        state.busy = None;
        return None;
    }
    busy.times -= 1;
    Some(busy.clone())
}

/// The REST route a request is for, if WordPress serves it from the REST API.
fn rest_route(s: &Shared, r: &Req) -> Option<String> {
    let subdir = s.config.subdir.as_deref().unwrap_or("");
    let relative = match r.path.strip_prefix(subdir) {
        Some("") => "/",
        Some(rest) if rest.starts_with('/') => rest,
        _ => return None,
    };
    if matches!(relative, "/" | "/index.php")
        && let Some(route) = r.query_param("rest_route")
    {
        return Some(route);
    }
    let prefix = format!("/{}", s.config.rest_prefix);
    if s.config.permalinks == Permalinks::Pretty
        && let Some(route) = relative.strip_prefix(&prefix)
        && (route.is_empty() || route.starts_with('/'))
    {
        return Some(percent_decode_str(route).decode_utf8_lossy().into_owned());
    }
    None
}

/// Whether the request goes to the REST API rather than to a page.
pub(super) fn is_rest(s: &Shared, r: &Req) -> bool {
    rest_route(s, r).is_some()
}

/// `ROOT` + route, as WordPress's `rest_url()` builds it.
fn rest_url(s: &Shared, route: &str) -> String {
    match s.config.permalinks {
        Permalinks::Pretty => format!("{}/{}{route}", s.wp_home, s.config.rest_prefix),
        Permalinks::Plain { .. } => format!("{}/index.php?rest_route={route}", s.wp_home),
    }
}

/// The `Link` header WordPress sends with pages and REST answers.
fn api_link(s: &Shared) -> String {
    format!("<{}>; rel=\"https://api.w.org/\"", rest_url(s, "/"))
}

/// A theme page (the home page, or WordPress's 404 page), as front-page plugins shape it.
fn page(s: &Shared, r: &Req, status: u16) -> Answer {
    let hints = match s.config.front_page {
        FrontPage::NoDiscoveryHints => false,
        FrontPage::PrivateSite => {
            let login = format!("{}/wp-login.php?redirect_to=%2F", s.wp_home);
            return redirect(302, login);
        }
        FrontPage::ComingSoon => {
            let mut a = html(503, "Coming soon");
            a.headers_mut()
                .insert("retry-after", "3600".parse().unwrap());
            return a;
        }
        FrontPage::HeadRefused if r.method == "HEAD" => return html(405, "Method Not Allowed"),
        _ => true,
    };
    let name = s.state.lock().unwrap().site_name.clone();
    let tag = if hints {
        format!(
            "<link rel=\"https://api.w.org/\" href=\"{}\" />",
            rest_url(s, "/")
        )
    } else {
        String::new()
    };
    let filler = match s.config.front_page {
        // A page builder's markup: megabytes of it.
        FrontPage::Huge => {
            "<div class=\"builder-section\"><span>Shop now</span></div>\n".repeat(80_000)
        }
        _ => String::new(),
    };
    let body = format!(
        "<!DOCTYPE html>\n<html><head><title>{name}</title>{tag}</head>\
         <body><h1>{name}</h1><p>Just another WordPress site</p>{filler}</body></html>\n"
    );
    let mut a = answer(status, HTML, body);
    if hints {
        a.headers_mut().insert("link", api_link(s).parse().unwrap());
    }
    a
}

/// A REST request: WooCommerce authentication, a blocking plugin, key permissions, then the route.
fn rest(s: &Shared, r: &Req, route: &str) -> Answer {
    let mut a = rest_answer(s, r, route);
    a.headers_mut().append("link", api_link(s).parse().unwrap());
    a
}

fn rest_answer(s: &Shared, r: &Req, route: &str) -> Answer {
    let route = match route.trim_end_matches('/') {
        "" => "/",
        trimmed => trimmed,
    };
    if s.config.auth_header_plugin && r.header("authorization").is_some() {
        // A JWT plugin's determine_current_user filter, before WooCommerce's.
        return error(
            403,
            "jwt_auth_bad_auth_header",
            "Authorization header malformed.",
        );
    }
    let auth = if s.config.woocommerce_active && auth::is_wc_uri(s, r) {
        auth::authenticate(s, r)
    } else {
        Auth::Anonymous
    };
    let key = match auth {
        Auth::Failed(e) => return e.answer(),
        Auth::Key(key) => Some(key),
        Auth::Anonymous => None,
    };
    if s.config.rest_blocked_for_anonymous && key.is_none() {
        return error(
            401,
            "rest_not_logged_in",
            "You are not currently logged in.",
        );
    }
    if s.config.front_page == FrontPage::PrivateSite && key.is_none() {
        return error(
            401,
            "rest_unauthorized",
            "Only authenticated users can access the REST API.",
        );
    }
    let method = auth::effective_method(r);
    if let Some(key) = &key
        && let Err(e) = auth::check_permissions(&method, key)
    {
        return e.answer();
    }
    dispatch(s, r, route, &method, key.as_ref())
}

fn namespaces(woocommerce: bool) -> Vec<&'static str> {
    let mut all = vec!["oembed/1.0", "wp/v2"];
    if woocommerce {
        all.extend(["wc/v3", "wc/v2", "wc/v1", "wc/store/v1"]);
    }
    all
}

enum Route {
    Index,
    Namespace(&'static str),
    Products(&'static str),
    Product(u64),
    UsersMe,
}

impl Route {
    fn find(route: &str, woocommerce: bool) -> Option<Route> {
        let route = route.to_ascii_lowercase();
        if route == "/" {
            return Some(Route::Index);
        }
        if let Some(ns) = namespaces(woocommerce)
            .into_iter()
            .find(|ns| route.strip_prefix('/') == Some(ns))
        {
            return Some(Route::Namespace(ns));
        }
        if route == "/wp/v2/users/me" {
            return Some(Route::UsersMe);
        }
        if !woocommerce {
            return None;
        }
        match route.as_str() {
            "/wc/v3/products" => Some(Route::Products("wc/v3")),
            "/wc/v2/products" => Some(Route::Products("wc/v2")),
            _ => route
                .strip_prefix("/wc/v3/products/")
                .and_then(|id| id.parse().ok())
                .map(Route::Product),
        }
    }

    fn methods(&self) -> &'static [&'static str] {
        match self {
            Route::Products(_) => &["GET", "POST"],
            Route::Product(_) => &["GET", "POST", "PUT", "PATCH", "DELETE"],
            _ => &["GET"],
        }
    }
}

fn dispatch(s: &Shared, r: &Req, route: &str, method: &str, key: Option<&TestKey>) -> Answer {
    let Some(found) = Route::find(route, s.config.woocommerce_active) else {
        return no_route();
    };
    let methods = found.methods();
    if method == "OPTIONS" {
        let mut a = json(200, &json!({ "methods": methods, "endpoints": [] }));
        a.headers_mut()
            .insert("allow", methods.join(", ").parse().unwrap());
        return a;
    }
    let method = if method == "HEAD" { "GET" } else { method };
    if !methods.contains(&method) {
        return no_route();
    }
    let fields = fields(r);
    match found {
        Route::Index => index(s, fields.as_ref()),
        Route::Namespace(ns) => json(200, &json!({ "namespace": ns, "routes": {} })),
        Route::UsersMe => error(
            401,
            "rest_not_logged_in",
            "You are not currently logged in.",
        ),
        Route::Products(_) if method == "POST" => match can_view(key, "create") {
            Err(e) => e.answer(),
            Ok(()) => create_product(s, r),
        },
        Route::Products(ns) => match can_view(key, "list") {
            Err(e) => e.answer(),
            Ok(()) => list_products(s, r, ns, fields.as_ref()),
        },
        Route::Product(id) if method != "GET" => match can_view(key, "edit") {
            Err(e) => e.answer(),
            Ok(()) => update_product(s, r, id, method),
        },
        Route::Product(id) => match can_view(key, "view") {
            Err(e) => e.answer(),
            Ok(()) => match catalogue(s).find(|(pid, _)| *pid == id) {
                Some((id, name)) => json(200, &product(s, id, &name, fields.as_ref())),
                None => error(400, "woocommerce_rest_product_invalid_id", "Invalid ID."),
            },
        },
    }
}

/// WooCommerce's capability checks: 401 when nobody is logged in, 403 for a Customer.
fn can_view(key: Option<&TestKey>, action: &str) -> Result<(), WpError> {
    let (code, message) = match action {
        "create" => (
            "woocommerce_rest_cannot_create",
            "Sorry, you are not allowed to create resources.",
        ),
        "view" => (
            "woocommerce_rest_cannot_view",
            "Sorry, you cannot view this resource.",
        ),
        "edit" => (
            "woocommerce_rest_cannot_edit",
            "Sorry, you are not allowed to edit this resource.",
        ),
        _ => (
            "woocommerce_rest_cannot_view",
            "Sorry, you cannot list resources.",
        ),
    };
    match key {
        None => Err(WpError::new(401, code, message)),
        Some(key) if !key.user_can_view => Err(WpError::new(403, code, message)),
        Some(_) => Ok(()),
    }
}

/// `_fields=a,b.c`: the top-level names asked for.
fn fields(r: &Req) -> Option<HashSet<String>> {
    let value = r.query_param("_fields")?;
    let names = value
        .split(',')
        .map(|f| f.trim().split('.').next().unwrap_or("").to_owned())
        .filter(|f| !f.is_empty());
    Some(names.collect())
}

fn filter(object: Map<String, Value>, fields: Option<&HashSet<String>>) -> Value {
    match fields {
        None => Value::Object(object),
        Some(fields) => object
            .into_iter()
            .filter(|(k, _)| fields.contains(k))
            .collect(),
    }
}

/// The catalogue: `(id, name)` of each product, ids from 11.
fn catalogue(s: &Shared) -> impl Iterator<Item = (u64, String)> + '_ {
    (0..s.config.products).map(|i| match PRODUCTS.get(i) {
        Some(&(id, name)) => (id, name.to_owned()),
        None => (11 + i as u64, format!("Product {}", 11 + i)),
    })
}

fn product(s: &Shared, id: u64, name: &str, fields: Option<&HashSet<String>>) -> Value {
    let slug = name.to_ascii_lowercase().replace(' ', "-");
    let Value::Object(mut object) = json!({
        "id": id, "name": name, "slug": slug, "type": "simple", "status": "publish", "price": "18",
    }) else {
        unreachable!()
    };
    if PRODUCTS.iter().all(|&(pid, _)| pid != id) {
        // A generated product has what WooCommerce answers for a real one, so 100 of them
        // weigh what a real page of 100 does.
        let Value::Object(more) = rich_fields(s, id, name, s.config.description_bytes) else {
            unreachable!()
        };
        object.extend(more);
    }
    filter(object, fields)
}

/// The fields of a real product beyond the few every test product has, in WooCommerce's order.
fn rich_fields(s: &Shared, id: u64, name: &str, description_bytes: usize) -> Value {
    let sentence = "<p>Soft organic cotton, knitted in small batches; machine washable. </p>";
    let description: String = sentence.repeat(description_bytes / sentence.len() + 1);
    let description = &description[..description_bytes];
    json!({
        "permalink": format!("{}/product/{id}/", s.wp_home),
        "date_created": "2024-03-01T10:00:00",
        "date_modified": "2024-06-01T12:30:00",
        "featured": false,
        "catalog_visibility": "visible",
        "description": description,
        "short_description": "<p>Warm, soft and made to last.</p>",
        "sku": format!("WL-{id:06}"),
        "regular_price": "18",
        "sale_price": "",
        "on_sale": false,
        "purchasable": true,
        "total_sales": id % 97,
        "virtual": false,
        "downloadable": false,
        "tax_status": "taxable",
        "manage_stock": true,
        "stock_quantity": id % 50,
        "stock_status": "instock",
        "weight": "0.4",
        "dimensions": { "length": "30", "width": "20", "height": "3" },
        "categories": [{ "id": 15, "name": "Clothing", "slug": "clothing" }],
        "tags": [{ "id": 31, "name": "winter", "slug": "winter" }],
        "images": [{
            "id": id * 10,
            "src": format!("{}/wp-content/uploads/2024/03/{id}.jpg", s.wp_home),
            "name": format!("{id}.jpg"),
            "alt": name,
        }],
        "attributes": [{ "id": 1, "name": "Size", "options": ["S", "M", "L", "XL"] }],
        "meta_data": [{ "id": id * 7, "key": "_supplier", "value": "Northwind" }],
        "_links": {
            "self": [{ "href": format!("{}/wp-json/wc/v3/products/{id}", s.wp_home) }],
            "collection": [{ "href": format!("{}/wp-json/wc/v3/products", s.wp_home) }],
        },
    })
}

/// POST products: a new draft named as the request body says (`"Product"` by default, as
/// WooCommerce does), its description `created_description_bytes` long.
fn create_product(s: &Shared, r: &Req) -> Answer {
    let sent: Value = serde_json::from_slice(&r.body).unwrap_or_default();
    let name = sent["name"].as_str().unwrap_or("Product").to_owned();
    s.state.lock().unwrap().created.push(name.clone());
    let Value::Object(mut object) = json!({ "id": 100, "name": name, "status": "draft" }) else {
        unreachable!()
    };
    let bytes = s.config.created_description_bytes;
    if bytes > 0 {
        let Value::Object(more) = rich_fields(s, 100, &name, bytes) else {
            unreachable!()
        };
        object.extend(more);
    }
    json(201, &Value::Object(object))
}

/// PUT/PATCH/POST (update) or DELETE of one product, after the key and capability checks:
/// an id that does not exist is refused before anything is written, as WooCommerce does
/// (400 for an update, 404 for a delete); an existing product is answered unchanged.
fn update_product(s: &Shared, r: &Req, id: u64, method: &str) -> Answer {
    let found = catalogue(s).find(|(pid, _)| *pid == id);
    match (found, method) {
        (None, "DELETE") => error(404, "woocommerce_rest_product_invalid_id", "Invalid ID."),
        (None, _) => error(400, "woocommerce_rest_product_invalid_id", "Invalid ID."),
        (Some((id, name)), _) => json(200, &product(s, id, &name, fields(r).as_ref())),
    }
}

fn index(s: &Shared, fields: Option<&HashSet<String>>) -> Answer {
    let wanted = |name: &str| fields.is_none_or(|f| f.contains(name));
    let site_name = s.state.lock().unwrap().site_name.clone();
    let authorize = format!("{}/wp-admin/authorize-application.php", site_url(s));
    let Value::Object(mut object) = json!({
        "name": site_name,
        "description": "Just another WordPress site",
        "url": site_url(s),
        "home": s.wp_home,
        "gmt_offset": 0,
        "timezone_string": "UTC",
        "page_for_posts": 0,
        "page_on_front": 0,
        "show_on_front": "posts",
        "namespaces": namespaces(s.config.woocommerce_active),
        "authentication": {
            "application-passwords": { "endpoints": { "authorization": authorize } }
        },
        "_links": { "help": [{ "href": "https://developer.wordpress.org/rest-api/" }] },
    }) else {
        unreachable!()
    };
    // Cloning a few hundred KB only when asked for keeps `_fields` answers cheap, as on a store.
    if wanted("routes") {
        object.insert("routes".to_owned(), s.index_routes.clone());
    }
    json(200, &filter(object, fields))
}

fn list_products(s: &Shared, r: &Req, ns: &str, fields: Option<&HashSet<String>>) -> Answer {
    let per_page = match r.query_param("per_page").map(|p| p.parse::<usize>()) {
        None => 10,
        Some(Ok(n)) if (1..=100).contains(&n) => n,
        Some(_) => return invalid_param("per_page"),
    };
    let page = match r.query_param("page").map(|p| p.parse::<usize>()) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => return invalid_param("page"),
    };
    let total = s.config.products;
    let pages = total.div_ceil(per_page);
    let items: Vec<Value> = catalogue(s)
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|(id, name)| product(s, id, &name, fields))
        .collect();
    let mut a = json(200, &Value::Array(items));
    let headers = a.headers_mut();
    headers.insert("x-wp-total", total.into());
    headers.insert("x-wp-totalpages", pages.into());
    let base = rest_url(s, &format!("/{ns}/products"));
    if page > 1 {
        let link = format!("<{}>; rel=\"prev\"", page_link(&base, r, page - 1));
        headers.append("link", link.parse().unwrap());
    }
    if page < pages {
        let link = format!("<{}>; rel=\"next\"", page_link(&base, r, page + 1));
        headers.append("link", link.parse().unwrap());
    }
    a
}

fn invalid_param(name: &str) -> Answer {
    let message = format!("Invalid parameter(s): {name}");
    error(400, "rest_invalid_param", &message)
}

/// WordPress's `add_query_arg(urlencode_deep($request->get_query_params()), $base)` then `page`:
/// the whole request query is echoed, credentials included, as real stores do.
fn page_link(base: &str, r: &Req, page: usize) -> String {
    let encode = |v: &str| url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let (path, base_query) = base.split_once('?').unwrap_or((base, ""));
    let mut pairs: Vec<(String, String)> = base_query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    let request = r.query_pairs().into_iter().map(|(k, v)| (k, encode(&v)));
    for (k, v) in request.chain([("page".to_owned(), page.to_string())]) {
        match pairs.iter_mut().find(|(pk, _)| *pk == k) {
            Some(pair) => pair.1 = v,
            None => pairs.push((k, v)),
        }
    }
    let query: Vec<String> = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("{path}?{}", query.join("&"))
}

/// The `routes` member of the index: big, like a real store's, so that `_fields` matters.
pub(super) fn filler_routes(woocommerce: bool) -> Value {
    let description = "A parameter description of the sort WordPress repeats for every \
        argument of every endpoint, which is what makes the index weigh megabytes. "
        .repeat(2);
    let mut routes = Map::new();
    for ns in namespaces(woocommerce) {
        let count = if ns.starts_with("wc/") { 150 } else { 100 };
        for i in 0..count {
            let route = format!("/{ns}/filler-{i}");
            let args = json!({
                "context": { "description": description, "type": "string", "default": "view" },
                "per_page": { "description": description, "type": "integer", "default": 10 },
            });
            let endpoint = json!({ "methods": ["GET"], "args": args });
            routes.insert(
                route,
                json!({ "namespace": ns, "methods": ["GET"], "endpoints": [endpoint] }),
            );
        }
    }
    Value::Object(routes)
}
