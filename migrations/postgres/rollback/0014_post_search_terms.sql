-- Undo 0014_post_search_terms.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

drop trigger posts_search_terms_sync on posts;
drop function posts_search_terms_sync();
drop table posts_search_terms;
