# Idempotent bootstrap for the test Redmine instance.
# Run by start.sh through `rails runner` as www-data.
# Prints REDMINE_API_KEY=<key> on the last line.

# 1. Default data (trackers, statuses, priorities, roles, workflows) if missing
if Tracker.count == 0 || IssueStatus.count == 0
  Redmine::DefaultData::Loader.load('en')
end

# 2. REST API on (Administration > Settings > API > "Enable REST web service")
Setting.rest_api_enabled = '1'
# require authentication: otherwise a wrong/missing API key silently reads public projects as Anonymous (HTTP 200)
Setting.login_required = '1'
# no outgoing e-mail (there is no MTA; avoids mail jobs on every issue change)
Setting.notified_events = []

# 3. Admin: no forced password change; ensure an API key exists
admin = User.find_by_login('admin')
admin.update_columns(must_change_passwd: false, status: User::STATUS_ACTIVE)
api_key = admin.api_key # creates the Token(action: 'api') if absent
# optional fixed key (REDMINE_FIXED_API_KEY = 40 hex chars) so test configs can hard-code it
wanted = ENV['REDMINE_FIXED_API_KEY'].to_s.strip.downcase
unless wanted.empty?
  raise "REDMINE_FIXED_API_KEY must be 40 hex chars" unless wanted.match?(/\A[0-9a-f]{40}\z/)
  admin.api_token.update_column(:value, wanted) if api_key != wanted
  api_key = wanted
end

# 4. A project with all trackers + issue tracking, and a version
identifier = ENV.fetch('REDMINE_PROJECT', 'sync-test')
project = Project.find_by_identifier(identifier)
unless project
  project = Project.new(name: 'Sync Test', identifier: identifier,
                        description: 'Integration-test project', is_public: true)
  project.enabled_module_names = %w(issue_tracking time_tracking news documents files wiki repository boards calendar gantt)
  project.trackers = Tracker.sorted.to_a
  project.save!
end
%w(2.4.0 2.5.0).each do |vname|
  project.versions.find_or_create_by!(name: vname) { |v| v.status = 'open'; v.sharing = 'none' }
end

# 5. Optional: a searchable/filterable issue custom field to hold the help-desk ticket id
cf = IssueCustomField.find_by(name: 'External Ticket ID') ||
     IssueCustomField.create!(name: 'External Ticket ID', field_format: 'string',
                              is_for_all: true, is_filter: true, searchable: true,
                              visible: true, editable: true, trackers: Tracker.all.to_a)

warn "custom_field=#{cf.name}(id=#{cf.id})"
warn "trackers=#{Tracker.pluck(:name).inspect}"
warn "statuses=#{IssueStatus.order(:position).pluck(:id, :name).inspect}"
warn "project=#{project.identifier}(id=#{project.id}) versions=#{project.versions.pluck(:id, :name).inspect}"
puts "REDMINE_API_KEY=#{api_key}"
