-- Who holds the session-level advisory lock on hashtextextended($1, 0): a bigint key shows in
-- pg_locks as classid (its high 32 bits) and objid (its low 32 bits), with objsubid 1.
select a.pid, a.application_name, a.usename, host(a.client_addr) as client_addr, a.backend_start
from (select hashtextextended($1, 0) as key) k
join pg_locks l
  on l.locktype = 'advisory' and l.granted and l.objsubid = 1
 and l.database = (select oid from pg_database where datname = current_database())
 and l.classid = ((k.key >> 32) & 4294967295)::oid
 and l.objid = (k.key & 4294967295)::oid
left join pg_stat_activity a on a.pid = l.pid
limit 1
