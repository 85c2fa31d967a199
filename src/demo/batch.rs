//! Multi-row inserts written once for both databases: `insert into … values (…), (…), …` in
//! chunks small enough for either's limit on bound parameters.

use crate::db::{DbError, Param, Row, Tx};

/// Bound parameters per statement: far below SQLite's 32,766 and PostgreSQL's 65,535.
const MAX_PARAMS: usize = 8_000;

/// `head` is `insert into t (a, b, c) values`; `tuple` is one row with `?` where each bound
/// value goes and literals elsewhere (`(?, 1, 'confirm', ?)`); `rows` hold the bound values in
/// order. `tail` ends each statement (`returning …`, or empty).
struct Statement<'a> {
    head: &'a str,
    tuple: &'a str,
    tail: &'a str,
}

impl Statement<'_> {
    fn per_row(&self) -> usize {
        self.tuple.matches('?').count().max(1)
    }

    fn sql(&self, rows: usize) -> String {
        let mut sql = String::with_capacity(self.head.len() + rows * (self.tuple.len() + 8));
        sql.push_str(self.head);
        let mut n = 0;
        for r in 0..rows {
            sql.push_str(if r == 0 { " " } else { ", " });
            for c in self.tuple.chars() {
                if c == '?' {
                    n += 1;
                    sql.push('$');
                    sql.push_str(&n.to_string());
                } else {
                    sql.push(c);
                }
            }
        }
        if !self.tail.is_empty() {
            sql.push(' ');
            sql.push_str(self.tail);
        }
        sql
    }

    fn chunks(&self, rows: Vec<Vec<Param>>) -> Vec<(String, Vec<Param>)> {
        let per_chunk = (MAX_PARAMS / self.per_row()).max(1);
        let mut out = Vec::new();
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<Vec<Param>> = rows.by_ref().take(per_chunk).collect();
            let sql = self.sql(chunk.len());
            out.push((sql, chunk.into_iter().flatten().collect()));
        }
        out
    }
}

/// Inserts every row; returns how many were inserted.
pub async fn insert(
    tx: &mut Tx,
    head: &str,
    tuple: &str,
    rows: Vec<Vec<Param>>,
) -> Result<u64, DbError> {
    let st = Statement {
        head,
        tuple,
        tail: "",
    };
    let mut n = 0;
    for (sql, params) in st.chunks(rows) {
        n += tx.execute(&sql, params).await?;
    }
    Ok(n)
}

/// Inserts every row and reads back what `returning` names.
pub async fn insert_returning<T: Row>(
    tx: &mut Tx,
    head: &str,
    tuple: &str,
    rows: Vec<Vec<Param>>,
    returning: &str,
) -> Result<Vec<T>, DbError> {
    let st = Statement {
        head,
        tuple,
        tail: returning,
    };
    let mut out = Vec::new();
    for (sql, params) in st.chunks(rows) {
        out.extend(tx.fetch_all::<T>(&sql, params).await?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_numbered_across_rows() {
        let st = Statement {
            head: "insert into t (a, k, b) values",
            tuple: "(?, 'x', ?)",
            tail: "returning id",
        };
        assert_eq!(
            st.sql(2),
            "insert into t (a, k, b) values ($1, 'x', $2), ($3, 'x', $4) returning id"
        );
        let rows: Vec<Vec<Param>> = (0..10_000)
            .map(|i| vec![Param::I64(i), Param::I64(i)])
            .collect();
        let chunks = st.chunks(rows);
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks[0].1.len(), MAX_PARAMS);
        assert_eq!(chunks.iter().map(|c| c.1.len()).sum::<usize>(), 20_000);
    }
}
