-- The generation of the public pages (PostgreSQL; SQLite has the same in migrations/sqlite).
-- Every change that can alter a public page adds one (an editor's save, a publication by the
-- scheduler, an import), in the change's transaction or just after it, and notifies the channel
-- `loa_pages` so the other instances drop their cached pages at once; an instance whose listener
-- lost its connection reads this one row to learn whether it missed a change. At most one row,
-- written on the first change (`db::page_generation::bump`), so a new database holds nothing here
-- and `loa copy` finds it empty like every other table.

create table page_generation (
    id bigint primary key check (id = 1),
    generation bigint not null check (generation > 0),
    created_at timestamptz not null,
    updated_at timestamptz not null
);
