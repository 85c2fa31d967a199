//! The staff CSV from HR: decoded, parsed and checked row by row before anything is written.
//!
//! The file has a header line naming four columns — `họ tên`, `email`, `đơn vị`, `vai trò` —
//! matched without regard to case, diacritics, spaces or hyphens. "Đơn vị" is a unit's slug or its
//! name; "vai trò" an English role name or its Vietnamese label. Every problem is reported with
//! the line it sits on, counted as in the file (the header is line 1), so HR can fix the file and
//! upload it again. Pure: the caller supplies the units and the e-mails already in use.

use std::collections::{HashMap, HashSet};

use unicode_normalization::UnicodeNormalization;

use crate::account::{Email, Role};
use crate::slug::fold;

/// More rows than this are refused: each account costs a password hash, and HR files of a
/// department are far smaller.
pub const MAX_ROWS: usize = 1000;

/// Longest name accepted, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// A unit the file may name.
#[derive(Clone, Debug)]
pub struct KnownUnit {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// What the rows are checked against.
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub units: Vec<KnownUnit>,
    /// Lowercased e-mails of existing accounts.
    pub existing_emails: HashSet<String>,
}

/// One row, ready to become an account.
#[derive(Clone, Debug)]
pub struct Account {
    pub name: String,
    pub email: Email,
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
    pub role: Role,
}

/// One data row of the file, as written, with what is wrong with it.
#[derive(Clone, Debug)]
pub struct Row {
    /// The line the row starts on (the header is line 1).
    pub line: u64,
    pub name: String,
    pub email: String,
    pub unit: String,
    pub role: String,
    pub problems: Vec<String>,
    /// Present when the row has no problem of its own (duplicates are checked across rows).
    pub account: Option<Account>,
}

/// The whole file, checked.
#[derive(Clone, Debug, Default)]
pub struct Checked {
    /// Problems of the file itself (encoding, header, size).
    pub file_problems: Vec<String>,
    pub rows: Vec<Row>,
}

impl Checked {
    /// True when every row can be imported and there is at least one.
    pub fn is_ok(&self) -> bool {
        self.file_problems.is_empty()
            && !self.rows.is_empty()
            && self.rows.iter().all(|r| r.problems.is_empty())
    }

    pub fn problem_count(&self) -> usize {
        self.file_problems.len() + self.rows.iter().map(|r| r.problems.len()).sum::<usize>()
    }

    /// The accounts to create; empty unless [`Checked::is_ok`].
    pub fn accounts(&self) -> Vec<&Account> {
        if !self.is_ok() {
            return vec![];
        }
        self.rows
            .iter()
            .filter_map(|r| r.account.as_ref())
            .collect()
    }
}

/// Bytes of an uploaded file as text: UTF-8, with the byte-order mark Excel writes removed.
pub fn decode(bytes: &[u8]) -> Result<String, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        "Tệp không phải văn bản UTF-8. Trong Excel, hãy lưu bằng «CSV UTF-8 (Comma delimited)»."
            .to_owned()
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Column {
    Name,
    Email,
    Unit,
    Role,
}

impl Column {
    const ALL: [Column; 4] = [Column::Name, Column::Email, Column::Unit, Column::Role];

    fn title(self) -> &'static str {
        match self {
            Column::Name => "họ tên",
            Column::Email => "email",
            Column::Unit => "đơn vị",
            Column::Role => "vai trò",
        }
    }

    /// Recognises a header cell: `Họ tên`, `HO TEN`, `Họ và tên`, `E-mail`, `Đơn vị`, `Vai trò`…
    fn recognise(cell: &str) -> Option<Column> {
        let key: String = fold(cell)
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric())
            .collect();
        match key.as_str() {
            "hoten" | "hovaten" => Some(Column::Name),
            "email" | "thudientu" => Some(Column::Email),
            "donvi" => Some(Column::Unit),
            "vaitro" => Some(Column::Role),
            _ => None,
        }
    }
}

/// Trims, composes (NFC) and collapses runs of white space.
fn clean(s: &str) -> String {
    s.nfc()
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Folded and lowercased, for matching names people type in different ways.
fn key(s: &str) -> String {
    fold(&clean(s)).to_lowercase()
}

/// Spreadsheets set to Vietnamese often separate with `;`: pick whichever the header uses more.
fn delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or_default();
    if header.matches(';').count() > header.matches(',').count() {
        b';'
    } else {
        b','
    }
}

/// Line numbers of records, counted in the text itself: the csv crate's own line count drifts
/// with CRLF endings and blank lines, and its byte offset may point at the end of the line before.
struct LineCounter<'a> {
    text: &'a [u8],
    /// Where counting stopped, and the line there.
    at: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            at: 0,
            line: 1,
        }
    }

    /// The line on which the record at `position` starts. Records come in order, so counting
    /// goes forward only.
    fn line_at(&mut self, position: Option<&csv::Position>) -> u64 {
        let Some(p) = position else {
            return self.line;
        };
        let mut start = (p.byte() as usize).min(self.text.len());
        while start < self.text.len() && matches!(self.text[start], b'\r' | b'\n') {
            start += 1;
        }
        if start >= self.at {
            self.line += self.text[self.at..start]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            self.at = start;
        }
        self.line
    }
}

/// Parses and checks the whole text.
pub fn check(text: &str, ctx: &Context) -> Checked {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Checked::default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter(text))
        .from_reader(text.as_bytes());
    let mut records = reader.records();

    let header = match records.next() {
        Some(Ok(h)) => h,
        Some(Err(e)) => {
            out.file_problems
                .push(format!("Không đọc được dòng tiêu đề: {e}."));
            return out;
        }
        None => {
            out.file_problems.push("Tệp trống.".to_owned());
            return out;
        }
    };
    let mut lines = LineCounter::new(text);
    let header_line = lines.line_at(header.position());
    let mut columns: Vec<Option<Column>> = Vec::new();
    for cell in header.iter() {
        let col = Column::recognise(cell);
        if cell.trim().is_empty() {
            columns.push(None);
            continue;
        }
        match col {
            None => out.file_problems.push(format!(
                "Dòng {header_line}: cột «{}» không thuộc mẫu; tiêu đề phải gồm đúng bốn cột: họ tên, email, đơn vị, vai trò.",
                cell.trim()
            )),
            Some(c) if columns.contains(&Some(c)) => out.file_problems.push(format!(
                "Dòng {header_line}: cột «{}» xuất hiện hai lần.",
                c.title()
            )),
            Some(_) => {}
        }
        columns.push(col);
    }
    for c in Column::ALL {
        if !columns.contains(&Some(c)) {
            out.file_problems.push(format!(
                "Dòng {header_line}: thiếu cột «{}» trong dòng tiêu đề.",
                c.title()
            ));
        }
    }
    if !out.file_problems.is_empty() {
        return out;
    }
    let index = |c: Column| columns.iter().position(|x| *x == Some(c)).unwrap_or(0);
    let (i_name, i_email, i_unit, i_role) = (
        index(Column::Name),
        index(Column::Email),
        index(Column::Unit),
        index(Column::Role),
    );

    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = lines.line_at(e.position());
                out.file_problems
                    .push(format!("Dòng {line}: không đọc được dòng này ({e})."));
                continue;
            }
        };
        // A line of empty cells (a spreadsheet's trailing rows) is no one.
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        if out.rows.len() == MAX_ROWS {
            out.file_problems.push(format!(
                "Tệp có hơn {MAX_ROWS} người; hãy chia thành nhiều tệp nhỏ hơn."
            ));
            break;
        }
        let cell = |i: usize| record.get(i).unwrap_or_default().to_owned();
        let mut row = Row {
            line: lines.line_at(record.position()),
            name: cell(i_name),
            email: cell(i_email),
            unit: cell(i_unit),
            role: cell(i_role),
            problems: vec![],
            account: None,
        };
        if record.len() != columns.len() {
            row.problems.push(format!(
                "Dòng có {} cột, trong khi tiêu đề có {}.",
                record.len(),
                columns.len()
            ));
        }
        row.account = check_row(&mut row, ctx);
        if !row.problems.is_empty() {
            row.account = None;
        }
        out.rows.push(row);
    }
    if out.rows.is_empty() && out.file_problems.is_empty() {
        out.file_problems
            .push("Tệp chỉ có dòng tiêu đề, chưa có người nào để nhập.".to_owned());
    }
    mark_duplicates(&mut out.rows);
    out
}

/// Checks one row's cells; pushes its problems and returns the account when there are none.
fn check_row(row: &mut Row, ctx: &Context) -> Option<Account> {
    let name = clean(&row.name);
    if name.is_empty() {
        row.problems.push("Thiếu họ tên.".to_owned());
    } else if name.chars().count() > MAX_NAME_CHARS {
        row.problems
            .push(format!("Họ tên dài quá {MAX_NAME_CHARS} ký tự."));
    }

    let email = if row.email.trim().is_empty() {
        row.problems.push("Thiếu địa chỉ thư điện tử.".to_owned());
        None
    } else {
        match Email::parse(&row.email) {
            Ok(e) if ctx.existing_emails.contains(e.as_str()) => {
                row.problems
                    .push(format!("Địa chỉ {} đã có tài khoản dùng.", e.as_str()));
                None
            }
            Ok(e) => Some(e),
            Err(_) => {
                row.problems.push(format!(
                    "Địa chỉ thư điện tử «{}» không hợp lệ.",
                    row.email.trim()
                ));
                None
            }
        }
    };

    let unit = if row.unit.trim().is_empty() {
        Some(None)
    } else {
        match find_unit(&row.unit, &ctx.units) {
            Ok(u) => Some(Some(u)),
            Err(problem) => {
                row.problems.push(problem);
                None
            }
        }
    };

    let role = if row.role.trim().is_empty() {
        row.problems.push(
            "Thiếu vai trò (admin, editor, author, employee hoặc tên tiếng Việt của vai trò)."
                .to_owned(),
        );
        None
    } else {
        match parse_role(&row.role) {
            Some(r) => Some(r),
            None => {
                row.problems.push(format!(
                    "Vai trò «{}» không có; dùng admin, editor, author, employee hoặc {}.",
                    row.role.trim(),
                    Role::ALL.map(|r| format!("«{}»", r.label())).join(", ")
                ));
                None
            }
        }
    };

    let (email, unit, role) = (email?, unit?, role?);
    (!name.is_empty() && row.problems.is_empty()).then(|| Account {
        name,
        email,
        unit_id: unit.map(|u| u.id),
        unit_name: unit.map(|u| u.name.clone()),
        role,
    })
}

/// A unit by slug, else by name (ignoring case and diacritics).
fn find_unit<'a>(cell: &str, units: &'a [KnownUnit]) -> Result<&'a KnownUnit, String> {
    let wanted = clean(cell);
    if let Some(u) = units.iter().find(|u| u.slug == wanted.to_lowercase()) {
        return Ok(u);
    }
    // An exact name first, so two units whose names differ only in diacritics stay apart.
    let exact: Vec<&KnownUnit> = units
        .iter()
        .filter(|u| clean(&u.name).to_lowercase() == wanted.to_lowercase())
        .collect();
    let matches = if exact.is_empty() {
        units
            .iter()
            .filter(|u| key(&u.name) == key(&wanted))
            .collect()
    } else {
        exact
    };
    match matches.as_slice() {
        [u] => Ok(u),
        [] => Err(format!(
            "Không có đơn vị «{wanted}» (ghi tên hoặc mã slug của một đơn vị đã có)."
        )),
        _ => Err(format!(
            "Có nhiều đơn vị tên «{wanted}»; hãy ghi mã slug của đơn vị."
        )),
    }
}

/// English names and Vietnamese labels, also typed without diacritics ("Bien tap vien").
fn parse_role(cell: &str) -> Option<Role> {
    cell.parse::<Role>().ok().or_else(|| {
        let k = key(cell);
        Role::ALL.into_iter().find(|r| key(r.label()) == k)
    })
}

/// Reports every row whose e-mail another row of the file also uses.
fn mark_duplicates(rows: &mut [Row]) {
    let mut lines_of: HashMap<String, Vec<u64>> = HashMap::new();
    for r in rows.iter() {
        if let Ok(e) = Email::parse(&r.email) {
            lines_of
                .entry(e.as_str().to_owned())
                .or_default()
                .push(r.line);
        }
    }
    for r in rows.iter_mut() {
        let Ok(e) = Email::parse(&r.email) else {
            continue;
        };
        let lines = &lines_of[e.as_str()];
        if lines.len() > 1 {
            let others: Vec<String> = lines
                .iter()
                .filter(|l| **l != r.line)
                .map(u64::to_string)
                .collect();
            r.problems.push(format!(
                "Địa chỉ {} trùng với dòng {} trong tệp.",
                e.as_str(),
                others.join(", ")
            ));
            r.account = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context {
        Context {
            units: vec![
                KnownUnit {
                    id: 1,
                    slug: "van-phong".into(),
                    name: "Văn phòng Sở".into(),
                },
                KnownUnit {
                    id: 2,
                    slug: "thanh-tra".into(),
                    name: "Thanh tra Sở".into(),
                },
            ],
            existing_emails: HashSet::from(["da.co@loa.test".to_owned()]),
        }
    }

    #[test]
    fn a_good_file_with_bom_and_vietnamese_headers() {
        let text = "\u{feff}Họ Tên,E-mail,Đơn vị,Vai trò\r\n\
                    Nguyễn Văn A,A@Loa.test,Văn phòng Sở,Biên tập viên\r\n\
                    \"Trần Thị B\",b@loa.test,thanh-tra,\"Cán bộ, công chức\"\r\n\
                    ,,,\r\n";
        let c = check(text, &ctx());
        assert!(c.is_ok(), "{c:?}");
        let a = c.accounts();
        assert_eq!(a.len(), 2);
        assert_eq!(a[0].email.as_str(), "a@loa.test");
        assert_eq!((a[0].unit_id, a[0].role), (Some(1), Role::Editor));
        assert_eq!((a[1].unit_id, a[1].role), (Some(2), Role::Employee));
        assert_eq!(c.rows[1].line, 3);
    }

    #[test]
    fn columns_may_come_in_any_order_and_be_separated_by_semicolons() {
        let text = "vai tro;email;ho ten;don vi\nauthor;c@loa.test;Lê C;van phong so\n";
        let c = check(text, &ctx());
        assert!(c.is_ok(), "{c:?}");
        assert_eq!(c.accounts()[0].name, "Lê C");
        assert_eq!(c.accounts()[0].unit_id, Some(1));
        assert_eq!(parse_role("Bien tap vien"), Some(Role::Editor));
    }

    #[test]
    fn each_problem_names_its_line() {
        let text = "họ tên,email,đơn vị,vai trò\n\
                    ,x@loa.test,,employee\n\
                    Ông D,không-phải-email,,employee\n\
                    Bà E,e@loa.test,Phòng Ma,employee\n\
                    Anh F,f@loa.test,,vua\n\
                    Chị G,DA.CO@loa.test,,employee\n\
                    Em H,x@loa.test,,employee\n";
        let c = check(text, &ctx());
        assert!(!c.is_ok());
        assert!(c.accounts().is_empty());
        let problems: Vec<(u64, String)> = c
            .rows
            .iter()
            .flat_map(|r| r.problems.iter().map(move |p| (r.line, p.clone())))
            .collect();
        let has =
            |line: u64, part: &str| problems.iter().any(|(l, p)| *l == line && p.contains(part));
        assert!(has(2, "Thiếu họ tên"), "{problems:?}");
        assert!(has(3, "không hợp lệ"));
        assert!(has(4, "Không có đơn vị «Phòng Ma»"));
        assert!(has(5, "Vai trò «vua»"));
        assert!(has(6, "đã có tài khoản"));
        assert!(has(2, "trùng với dòng 7"));
        assert!(has(7, "trùng với dòng 2"));
    }

    #[test]
    fn header_problems_stop_the_check() {
        let c = check("tên,email,đơn vị\nA,a@loa.test,x\n", &ctx());
        assert!(!c.is_ok());
        assert!(c.rows.is_empty());
        assert!(c.file_problems.iter().any(|p| p.contains("«tên»")));
        assert!(c
            .file_problems
            .iter()
            .any(|p| p.contains("thiếu cột «họ tên»")));
        assert!(!check("", &ctx()).is_ok());
        assert!(!check("họ tên,email,đơn vị,vai trò\n", &ctx()).is_ok());
    }

    #[test]
    fn lines_count_as_in_the_file_even_across_quoted_line_breaks() {
        let text =
            "họ tên,email,đơn vị,vai trò\n\n\"Nguyễn\nVăn A\",a@loa.test,,employee\nB,,,employee\n";
        let c = check(text, &ctx());
        assert_eq!(c.rows[0].line, 3);
        assert_eq!(c.rows[0].problems, Vec::<String>::new());
        assert_eq!(c.rows[1].line, 5);
    }

    #[test]
    fn decoding_strips_the_bom_and_refuses_other_encodings() {
        assert_eq!(decode(b"\xEF\xBB\xBFa,b").unwrap(), "a,b");
        assert!(decode(b"H\xe0 N\xf4i").is_err());
    }
}
