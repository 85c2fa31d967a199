-- The generation of the public pages (SQLite; PostgreSQL has the same in migrations/postgres).
-- Every change that can alter a public page adds one (an editor's save, a publication by the
-- scheduler, an import), so a running instance's page cache can tell that it missed a change
-- made by another process (`loa import`, another instance) by reading one row. At most one row,
-- written on the first change (`db::page_generation::bump`), so a new database holds nothing here
-- and `loa copy` finds it empty like every other table.

create table page_generation (
    id integer primary key check (id = 1),
    generation integer not null check (generation > 0),
    created_at text not null,
    updated_at text not null
);
