//! `order catalog import FILE` and `order catalog export`: the catalog as a CSV file with the
//! header `sku,name,unit_price_cents`, one product per row.

use std::{collections::HashMap, io};

use crate::application::{
    domain::{ProductName, Sku, UnitPrice},
    usecases::{CatalogRow, ExportCatalog, ImportCatalog, Imported},
};

/// The header a catalog file starts with.
pub const HEADER: [&str; 3] = ["sku", "name", "unit_price_cents"];

/// Why a catalog file cannot be imported: every broken row, by line and field (the first
/// few hundred), or a file that is not a catalog at all. Nothing is written then.
#[derive(Debug, thiserror::Error)]
pub enum BadCatalog {
    #[error("the file is not CSV: {0}")]
    NotCsv(#[from] csv::Error),
    #[error("the first line must be the header {expected}, not {0}", expected = HEADER.join(","))]
    Header(String),
    #[error("the file has no products")]
    Empty,
    #[error("{} bad rows:\n{}", .0.len(), .0.join("\n"))]
    Rows(Vec<String>),
}

/// The rows of a catalog file, each checked by the domain's rules.
///
/// # Errors
/// [`BadCatalog`], naming each bad row's line and field.
pub fn read(input: impl io::Read) -> Result<Vec<CatalogRow>, BadCatalog> {
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(input);
    let header = reader.headers()?.clone();
    if header.iter().map(str::trim).ne(HEADER) {
        return Err(BadCatalog::Header(header.iter().collect::<Vec<_>>().join(",")));
    }
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut lines_of: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = record?;
        let line = record.position().map_or(0, csv::Position::line);
        let mut problem = |field: &str, message: String| problems.push(format!("line {line}, {field}: {message}"));
        let sku = Sku::parse(record[0].trim())
            .map_err(|e| problem("sku", e.to_string()))
            .ok();
        let name = ProductName::parse(record[1].trim())
            .map_err(|e| problem("name", e.to_string()))
            .ok();
        let unit_price = record[2]
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|cents| UnitPrice::new(cents).ok())
            .ok_or_else(|| {
                problem(
                    "unit_price_cents",
                    crate::application::domain::InvalidUnitPrice.to_string(),
                )
            })
            .ok();
        if let Some(sku) = &sku
            && let Some(first) = lines_of.insert(sku.as_str().to_owned(), line)
        {
            problem("sku", format!("repeats the SKU of line {first}"));
        }
        if let (Some(sku), Some(name), Some(unit_price)) = (sku, name, unit_price) {
            rows.push(CatalogRow { sku, name, unit_price });
        }
    }
    if !problems.is_empty() {
        problems.truncate(200);
        return Err(BadCatalog::Rows(problems));
    }
    if rows.is_empty() {
        return Err(BadCatalog::Empty);
    }
    Ok(rows)
}

/// Reads `input` whole, then writes every row in one transaction.
///
/// # Errors
/// A bad file (nothing is written), or the database's failure (nothing is written).
pub async fn import(import: &ImportCatalog, input: impl io::Read) -> anyhow::Result<Imported> {
    let rows = read(input)?;
    Ok(import.execute(rows).await?)
}

/// Writes the active catalog to `output` as a file [`import`] reads.
///
/// # Errors
/// The database's failure, or `output`'s.
pub async fn export(export: &ExportCatalog, output: impl io::Write) -> anyhow::Result<usize> {
    let rows = export.execute().await?;
    let mut writer = csv::Writer::from_writer(output);
    writer.write_record(HEADER)?;
    for row in &rows {
        writer.write_record([
            row.sku.as_str(),
            row.name.as_str(),
            &row.unit_price.cents().get().to_string(),
        ])?;
    }
    writer.flush()?;
    Ok(rows.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_catalog_file_is_read_row_by_row() {
        let rows =
            read("sku,name,unit_price_cents\nBOOK-1,\"Book, hardcover\",6000\n MUG-3 ,Mug,1250\n".as_bytes()).unwrap();
        let read: Vec<_> = rows
            .iter()
            .map(|r| (r.sku.as_str(), r.name.as_str(), r.unit_price.cents().get()))
            .collect();
        assert_eq!(read, [("BOOK-1", "Book, hardcover", 6000), ("MUG-3", "Mug", 1250)]);
    }

    #[test]
    fn every_bad_row_is_named_by_line_and_field() {
        let file = "sku,name,unit_price_cents\nA,Apple,100\n,Blank,100\nC,Cherry,0\nD,Date,ten\nA,Again,5\n";
        let BadCatalog::Rows(problems) = read(file.as_bytes()).unwrap_err() else {
            panic!("bad rows");
        };
        assert_eq!(
            problems,
            [
                "line 3, sku: must be 1 to 64 characters, not blank, without control characters",
                "line 4, unit_price_cents: must be an integer from 1 to 100000000 (cents)",
                "line 5, unit_price_cents: must be an integer from 1 to 100000000 (cents)",
                "line 6, sku: repeats the SKU of line 2",
            ]
        );
    }

    #[test]
    fn a_file_without_the_header_or_rows_is_refused() {
        assert!(matches!(
            read("sku,price\nA,1\n".as_bytes()),
            Err(BadCatalog::Header(_))
        ));
        assert!(matches!(
            read("sku,name,unit_price_cents\n".as_bytes()),
            Err(BadCatalog::Empty)
        ));
        assert!(matches!(
            read("sku,name,unit_price_cents\nA,B\n".as_bytes()),
            Err(BadCatalog::NotCsv(_))
        ));
    }
}
