//! Server-rendered HTML of the demo site: a deliberately plain, dated look (tables, Verdana,
//! a blue title bar) so nobody mistakes it for the gateway's own pages.

use super::listings::{format_price, Listing};

/// Name the fictional legacy MLS goes by.
const SITE_NAME: &str = "Nutmeg Regional MLS";

/// The public stylesheet served at `/static/site.css`.
pub(super) const STYLESHEET: &str = "body { font-family: Verdana, Arial, sans-serif; font-size: 12px; \
background: #dfe6ee; margin: 0; }\n\
#wrap { width: 760px; margin: 0 auto; background: #fff; border: 1px solid #8aa1b8; }\n\
#title { background: #1f4e79; color: #fff; padding: 10px 12px; font-size: 18px; font-weight: bold; }\n\
#nav { background: #c9d6e3; padding: 4px 12px; border-bottom: 1px solid #8aa1b8; }\n\
#content { padding: 12px; min-height: 280px; }\n\
#footer { font-size: 10px; color: #666; padding: 8px 12px; border-top: 1px solid #ccc; }\n\
table.grid { border-collapse: collapse; }\n\
table.grid td, table.grid th { border: 1px solid #aab; padding: 3px 6px; text-align: left; }\n\
table.grid th { background: #eef2f6; }\n\
.error { color: #b00; font-weight: bold; }\n";

/// Escapes text for HTML element content and double-quoted attribute values.
pub(super) fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// A full page: title bar, navigation (only when someone is logged in), `body`, footer.
/// `signed_in_as` is the display name of the logged-in member.
pub(super) fn page(title: &str, signed_in_as: Option<&str>, body: &str) -> String {
    let nav = match signed_in_as {
        Some(name) => format!(
            "<div id=\"nav\"><a href=\"/\">Home</a> | <a href=\"/search\">Property Search</a> | \
             <a href=\"/logout\">Log Off</a> &nbsp; <i>Signed in as {}</i></div>",
            escape(name)
        ),
        None => "<div id=\"nav\">Member Portal</div>".to_owned(),
    };
    format!(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\">\n<html>\n<head>\n\
         <meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n\
         <title>{title} - {SITE_NAME}</title>\n\
         <link rel=\"stylesheet\" type=\"text/css\" href=\"/static/site.css\">\n\
         <style type=\"text/css\">a {{ color: #1f4e79; }} h2 {{ font-size: 15px; color: #1f4e79; }}</style>\n\
         </head>\n<body>\n<div id=\"wrap\">\n<div id=\"title\">{SITE_NAME}</div>\n{nav}\n\
         <div id=\"content\">\n{body}\n</div>\n\
         <div id=\"footer\">&copy; 2009-2024 {SITE_NAME}, Inc. All rights reserved. \
         Information deemed reliable but not guaranteed. Best viewed at 1024x768.</div>\n\
         </div>\n</body>\n</html>\n",
        title = escape(title),
    )
}

/// The member login form; `next` (already validated as a local path) rides along hidden.
pub(super) fn login_body(failed: bool, next: Option<&str>) -> String {
    let error = if failed {
        "<p class=\"error\">Invalid username or password. Please try again.</p>\n"
    } else {
        ""
    };
    let hidden_next = next
        .map(|path| {
            format!(
                "<input type=\"hidden\" name=\"next\" value=\"{}\">\n",
                escape(path)
            )
        })
        .unwrap_or_default();
    format!(
        "<h2>Member Login</h2>\n{error}\
         <form method=\"post\" action=\"/login\">\n{hidden_next}\
         <table>\n<tr><td><label for=\"username\">Username:</label></td>\
         <td><input type=\"text\" id=\"username\" name=\"username\" size=\"24\"></td></tr>\n\
         <tr><td><label for=\"password\">Password:</label></td>\
         <td><input type=\"password\" id=\"password\" name=\"password\" size=\"24\"></td></tr>\n\
         <tr><td></td><td><input type=\"submit\" value=\"Log In\"></td></tr>\n</table>\n</form>\n\
         <p>Forgot your password? Call the MLS help desk at (203) 555-0100.</p>"
    )
}

/// One row of a listing table.
fn listing_row(listing: &Listing) -> String {
    format!(
        "<tr><td><a href=\"/listings/{id}\">{mls}</a></td><td>{street}, {city}</td>\
         <td>{price}</td><td>{beds}</td><td>{baths}</td><td>{status}</td></tr>\n",
        id = listing.id,
        mls = escape(listing.mls_number),
        street = escape(listing.street),
        city = escape(listing.city),
        price = format_price(listing.price),
        beds = listing.beds,
        baths = escape(listing.baths),
        status = escape(listing.status),
    )
}

/// A table of listings with a header row.
fn listing_table(listings: &[&Listing]) -> String {
    let rows: String = listings
        .iter()
        .map(|listing| listing_row(listing))
        .collect();
    format!(
        "<table class=\"grid\">\n<tr><th>MLS #</th><th>Address</th><th>List Price</th><th>Beds</th>\
         <th>Baths</th><th>Status</th></tr>\n{rows}</table>"
    )
}

/// The logged-in landing page.
pub(super) fn dashboard_body(display_name: &str, recent: &[&Listing]) -> String {
    format!(
        "<h2>Welcome, {name}</h2>\n<p>Your recently viewed listings:</p>\n{table}\n\
         <p><a href=\"/search\">Search all listings</a> &middot; <a href=\"/logout\">Log off</a></p>",
        name = escape(display_name),
        table = listing_table(recent),
    )
}

/// The search form and, when a query was given, its results.
pub(super) fn search_body(query: Option<&str>, results: &[&Listing]) -> String {
    let value = escape(query.unwrap_or_default());
    let form = format!(
        "<h2>Property Search</h2>\n<form method=\"get\" action=\"/search\">\
         Town, street, zip or MLS #: <input type=\"text\" name=\"q\" value=\"{value}\"> \
         <input type=\"submit\" value=\"Search\"></form>\n"
    );
    match query {
        None => form,
        Some(_) if results.is_empty() => {
            format!("{form}<p>No listings match &quot;{value}&quot;.</p>")
        }
        Some(_) => format!(
            "{form}<p>{count} listing(s) match &quot;{value}&quot;:</p>\n{table}",
            count = results.len(),
            table = listing_table(results),
        ),
    }
}

/// The full detail sheet of one listing.
pub(super) fn listing_body(listing: &Listing) -> String {
    format!(
        "<h2>{street}, {city}, CT {zip}</h2>\n\
         <p><b>MLS #{mls}</b> &nbsp; Status: <b>{status}</b> &nbsp; List Price: <b>{price}</b></p>\n\
         <table class=\"grid\">\n\
         <tr><th>Bedrooms</th><td>{beds}</td><th>Baths (full.half)</th><td>{baths}</td></tr>\n\
         <tr><th>Living Area</th><td>{sqft} sq ft</td><th>Year Built</th><td>{year}</td></tr>\n\
         <tr><th>Lot Size</th><td>{acres} acres</td><th>Style</th><td>{style}</td></tr>\n\
         </table>\n<h2>Public Remarks</h2>\n<p>{remarks}</p>\n\
         <h2>Agent Information</h2>\n<p>Listed by {agent}. Showing instructions: call listing office; \
         24-hour notice required. Buyer agency compensation is not offered through this MLS.</p>\n\
         <p><a href=\"/\">&laquo; Back to your listings</a> | <a href=\"/search\">New search</a></p>",
        street = escape(listing.street),
        city = escape(listing.city),
        zip = escape(listing.zip),
        mls = escape(listing.mls_number),
        status = escape(listing.status),
        price = format_price(listing.price),
        beds = listing.beds,
        baths = escape(listing.baths),
        sqft = listing.square_feet,
        year = listing.year_built,
        acres = escape(listing.lot_acres),
        style = escape(listing.style),
        remarks = escape(listing.remarks),
        agent = escape(listing.listing_agent),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::listings::LISTINGS;

    #[test]
    fn escape_neutralises_markup_and_quotes() {
        assert_eq!(
            escape("<script>\"x\" & 'y'</script>"),
            "&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;"
        );
        assert_eq!(escape("plain"), "plain");
    }

    #[test]
    fn search_echoes_the_query_escaped() {
        let body = search_body(Some("<b>elm"), &[]);
        assert!(body.contains("&lt;b&gt;elm"));
        assert!(!body.contains("<b>elm"));
    }

    #[test]
    fn listing_sheet_is_a_couple_of_kilobytes() {
        let html = page("Listing", Some("Jane Doe"), &listing_body(&LISTINGS[0]));
        assert!(html.len() > 1_500, "only {} bytes", html.len());
        assert!(html.contains("42 Elm Street") && html.contains("$389,900"));
    }

    #[test]
    fn navigation_only_for_signed_in_members() {
        assert!(page("Home", Some("Jane Doe"), "").contains("Signed in as Jane Doe"));
        assert!(!page("Login", None, "").contains("Log Off"));
    }
}
