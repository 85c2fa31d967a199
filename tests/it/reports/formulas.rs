//! Spreadsheet formula injection: a staff name typed by HR (`=HYPERLINK(…)`) in every table of a
//! campaign's exports, both formats, comes out as text — no cell of any export starts with a
//! formula character, and no workbook holds a formula.

use loa::account::Role;

use super::fixture::{citizen_confirms, spawn, HOSTILE};
use super::read::{xlsx_part, xlsx_text};
use crate::db_tests;
use crate::fixtures::{campaign, person};
use crate::helpers::TestDb;

db_tests!(no_export_cell_starts_a_formula);

/// What spreadsheet programs treat as the start of a formula (OWASP's list).
fn starts_formula(cell: &str) -> bool {
    cell.starts_with(['=', '+', '-', '@', '\t', '\r'])
}

async fn no_export_cell_starts_a_formula(db: TestDb) {
    let app = spawn(db).await;
    person(
        &app,
        "x@loa.test",
        HOSTILE,
        Role::Employee,
        Some("trung-tam"),
        false,
    )
    .await;
    citizen_confirms(
        &app,
        "quy-che",
        "+Dân",
        "0912 345 678",
        "",
        "huyen-loc-ninh",
    )
    .await;
    campaign(&app, "cd", &["quy-che"], 80, true).await;
    let (editor, _) = person(&app, "bt@loa.test", "@Biên tập", Role::Editor, None, false).await;

    let files = ["ma-tran", "don-vi", "chua-xac-nhan", "nguoi-dan"]
        .into_iter()
        .flat_map(|t| [(t, "csv"), (t, "xlsx")])
        // The whole report is one workbook.
        .chain([("bao-cao", "xlsx")]);
    for (table, ext) in files {
        {
            let path = format!("/admin/chien-dich/cd/xuat/{table}.{ext}");
            let r = editor.get(&path).await;
            assert_eq!(r.status(), 200, "{path}");
            let bytes = r.bytes().await.unwrap();
            let cells: Vec<String> = if ext == "csv" {
                let text = std::str::from_utf8(&bytes)
                    .unwrap()
                    .trim_start_matches('\u{feff}');
                csv::Reader::from_reader(text.as_bytes())
                    .records()
                    .flat_map(|r| r.unwrap().iter().map(str::to_owned).collect::<Vec<_>>())
                    .collect()
            } else {
                let zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
                let sheets: Vec<String> = zip
                    .file_names()
                    .map(|n| n.unwrap().into_owned())
                    .filter(|n| n.starts_with("xl/worksheets/sheet"))
                    .collect();
                assert!(!sheets.is_empty());
                for name in sheets {
                    assert!(
                        !xlsx_part(&bytes, &name).contains("<f>"),
                        "{path}: a formula"
                    );
                }
                xlsx_text(&bytes).lines().map(str::to_owned).collect()
            };
            assert!(!cells.is_empty(), "{path}");
            for cell in &cells {
                assert!(!starts_formula(cell), "{path}: {cell:?}");
            }
            if matches!(table, "ma-tran" | "chua-xac-nhan") {
                let neutralised = format!("'{HOSTILE}");
                assert!(cells.contains(&neutralised), "{path}: {cells:?}");
            }
        }
    }
}
