//! Fake listing data shown by the demo site's pages and JSON API.

use serde_json::{json, Value};

/// One property listing.
#[derive(Debug)]
pub(super) struct Listing {
    pub id: u32,
    pub mls_number: &'static str,
    pub status: &'static str,
    pub street: &'static str,
    pub city: &'static str,
    pub zip: &'static str,
    pub price: u32,
    pub beds: u8,
    /// Full baths and half baths, the way MLS sheets print them ("2.1").
    pub baths: &'static str,
    pub square_feet: u32,
    pub year_built: u16,
    pub lot_acres: &'static str,
    pub style: &'static str,
    pub listing_agent: &'static str,
    pub remarks: &'static str,
}

/// The whole (tiny) inventory; the dashboard links to the first three.
pub(super) const LISTINGS: &[Listing] = &[
    Listing {
        id: 1,
        mls_number: "170612345",
        status: "Active",
        street: "42 Elm Street",
        city: "New Haven",
        zip: "06511",
        price: 389_900,
        beds: 3,
        baths: "1.1",
        square_feet: 1_640,
        year_built: 1925,
        lot_acres: "0.14",
        style: "Colonial",
        listing_agent: "Pat Rivera, Shoreline Realty",
        remarks: "Charming 1920s colonial on a tree-lined street. Hardwood floors throughout, \
                  updated kitchen with granite counters, walk-up attic and a detached one-car garage.",
    },
    Listing {
        id: 2,
        mls_number: "170612388",
        status: "Active",
        street: "7 Harbor View Lane",
        city: "Stamford",
        zip: "06902",
        price: 1_250_000,
        beds: 4,
        baths: "3.1",
        square_feet: 3_420,
        year_built: 2004,
        lot_acres: "0.52",
        style: "Contemporary",
        listing_agent: "Morgan Lee, Gold Coast Properties",
        remarks: "Water views from nearly every room. Open floor plan, chef's kitchen, primary suite \
                  with balcony, finished lower level and a two-car attached garage.",
    },
    Listing {
        id: 3,
        mls_number: "170612401",
        status: "Pending",
        street: "118 Maple Avenue, Unit 4B",
        city: "Hartford",
        zip: "06105",
        price: 214_500,
        beds: 2,
        baths: "2.0",
        square_feet: 1_080,
        year_built: 1988,
        lot_acres: "0.00",
        style: "Condominium",
        listing_agent: "Sam Okafor, Capitol Homes",
        remarks: "Sunny corner unit near the park. In-unit laundry, assigned parking, fitness room \
                  and low monthly fees. Heat and hot water included.",
    },
    Listing {
        id: 4,
        mls_number: "170612455",
        status: "Active",
        street: "3 Old Mill Road",
        city: "Glastonbury",
        zip: "06033",
        price: 549_000,
        beds: 4,
        baths: "2.1",
        square_feet: 2_610,
        year_built: 1972,
        lot_acres: "1.10",
        style: "Cape Cod",
        listing_agent: "Pat Rivera, Shoreline Realty",
        remarks: "Expanded cape on over an acre with a brook. Screened porch, wood stove, \
                  first-floor bedroom and a large barn for storage or a workshop.",
    },
];

/// The listing with `id`.
pub(super) fn find(id: u32) -> Option<&'static Listing> {
    LISTINGS.iter().find(|listing| listing.id == id)
}

/// Listings whose street, city, zip, style or MLS number contains `query` (case-insensitive);
/// an empty query matches everything, like the legacy search did.
pub(super) fn search(query: &str) -> Vec<&'static Listing> {
    let needle = query.trim().to_lowercase();
    LISTINGS
        .iter()
        .filter(|listing| {
            [
                listing.street,
                listing.city,
                listing.zip,
                listing.style,
                listing.mls_number,
            ]
            .iter()
            .any(|field| field.to_lowercase().contains(&needle))
        })
        .collect()
}

/// `389900` → `"$389,900"`.
pub(super) fn format_price(price: u32) -> String {
    let digits = price.to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("${grouped}")
}

impl Listing {
    /// The listing as the mobile app's JSON API returns it.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "mls_number": self.mls_number,
            "status": self.status,
            "address": format!("{}, {}, CT {}", self.street, self.city, self.zip),
            "price": self.price,
            "beds": self.beds,
            "baths": self.baths,
            "square_feet": self.square_feet,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_grouped_by_thousands() {
        assert_eq!(format_price(0), "$0");
        assert_eq!(format_price(999), "$999");
        assert_eq!(format_price(214_500), "$214,500");
        assert_eq!(format_price(1_250_000), "$1,250,000");
    }

    #[test]
    fn search_is_case_insensitive_and_empty_matches_all() {
        assert_eq!(search("").len(), LISTINGS.len());
        let ids: Vec<u32> = search("  hartFORD ").iter().map(|l| l.id).collect();
        assert_eq!(ids, vec![3]);
        assert!(search("no such town").is_empty());
    }

    #[test]
    fn ids_are_unique_and_findable() {
        for listing in LISTINGS {
            assert_eq!(
                find(listing.id).map(|l| l.mls_number),
                Some(listing.mls_number)
            );
        }
        assert!(find(999).is_none());
    }
}
