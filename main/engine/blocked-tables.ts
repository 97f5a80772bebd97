/** The product's blocked tables (never mirrored), lower-case, matched case-insensitively on the table name. */
export const BLOCKED_TABLES: ReadonlySet<string> = new Set([
  'activeuser', 'area', 'areauserassignment', 'areauserinclusion', 'audienceconfig', 'audiencelayout',
  'audiencelayoutlink', 'audiencevisibility', 'batchtask', 'batchtaskdefinition', 'binaryobject',
  'cacheinvalidation', 'cachetables', 'cc_template', 'conceptualdatabase', 'conceptualfield',
  'conceptualtable', 'config', 'configurablescreendelta', 'connectionconfigfield', 'countervalue',
  'credentials', 'cust_config', 'dashboard', 'dashboard_theme', 'dashboard_tile',
  'dashboard_tile_definition', 'dashboard_tile_field', 'dbi_agent', 'dbi_agent_field', 'dbi_agent_schedule',
  'dicindex', 'email_account', 'email_attachment', 'email_folder', 'email_item', 'erpsynclog', 'foreignapp',
  'foreigndevice', 'foreignkey', 'form_keys', 'freetextindex', 'freetextstopwords', 'freetextwords',
  'history', 'importdefault', 'importfield', 'importobject', 'importrelation', 'inbox', 'indexfield',
  'item_config', 'kb_entry_words', 'licenseassoclink', 'licensesatllink', 'licenssatllink', 'locking',
  'log_events', 'login', 'login_customer', 'mergemovelog', 'message', 'messagehandler', 'modulelicense',
  'moduleowner', 'notice_frame', 'notify', 'olefield', 'olefieldtext', 'olesubject', 'olesubjecttext',
  'oleview', 'oleviewtext', 'outbox', 'physicaldatabase', 'physicalfield', 'physicalschema', 'physicaltable',
  'prefdesc', 'prefdescline', 'registry', 'relationship', 'satellite', 'script_trace_run', 'searchcriteria',
  'searchcriteriagroup', 'searchcriterion', 'searchcriterionvalue', 'sequence', 'service_auth',
  'session_object', 'sorcriteria', 'sorfct', 'sorfield', 'sorlabellayout', 'soroperators', 'sorpublish',
  'sorpublishgrouplink', 'sorsection', 'sortemplate', 'statusvalue', 'superlistcolumnsize', 'systemevent',
  'taborder', 'timestamps', 'travelcurrent', 'travelgenerateddatabase', 'travelgeneratedtransaction',
  'travelidmapping', 'traveller', 'traveltransactionlog', 'trayapp', 'udtemplarge', 'udtempsmall',
  'usagestats', 'user_attribute', 'user_candidate', 'userpreference', 'webappusage', 'webhook', 'winpossize',
  'word_relations',
]);

/** Debezium's own signal table is never a replica table. */
export const INTERNAL_TABLES: ReadonlySet<string> = new Set(['debezium_signal', 'debezium_heartbeat']);
