{{/*
Names, labels and the pieces every workload shares: image, environment, security contexts,
probes, volumes, topology spread. Nothing here renders a resource on its own.
*/}}

{{- define "cart-recovery.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "cart-recovery.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "cart-recovery.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Resource name of a component: <fullname>-<component>, within the 63-character limit. */}}
{{- define "cart-recovery.componentName" -}}
{{- printf "%s-%s" (include "cart-recovery.fullname" .root | trunc (int (sub 62 (len .component))) | trimSuffix "-") .component }}
{{- end }}

{{/* Labels of a component. Call with (dict "root" $ "component" "gateway"); component may be "". */}}
{{- define "cart-recovery.labels" -}}
helm.sh/chart: {{ include "cart-recovery.chart" .root }}
{{ include "cart-recovery.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: cart-recovery
{{- end }}

{{- define "cart-recovery.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cart-recovery.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- with .component }}
app.kubernetes.io/component: {{ . }}
{{- end }}
{{- end }}

{{/* Labels every pod of the release carries (the scope of the default-deny NetworkPolicy). */}}
{{- define "cart-recovery.releaseSelectorLabels" -}}
app.kubernetes.io/name: {{ include "cart-recovery.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "cart-recovery.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "cart-recovery.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "cart-recovery.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{- define "cart-recovery.embedded" -}}
{{- if eq .Values.mode "embedded" }}true{{ end }}
{{- end }}

{{/* SQLite on the pod's volume: the connection string is the image default (Data Source=.data/cartrecovery.db). */}}
{{- define "cart-recovery.sqlite" -}}
{{- if eq (lower .Values.storage.provider) "sqlite" }}true{{ end }}
{{- end }}

{{/*
Configuration checks that apply to every rendering. Included once from the silo StatefulSet
(rendered in both modes); the replicas <= partitions guard sits in that template itself.
*/}}
{{- define "cart-recovery.validate" -}}
{{- if not (has .Values.mode (list "cluster" "embedded")) }}
{{- fail (printf "mode must be cluster or embedded (got %q)" .Values.mode) }}
{{- end }}
{{- if not (has .Values.environment (list "Development" "Staging" "Production")) }}
{{- fail (printf "environment must be Development, Staging or Production (got %q)" .Values.environment) }}
{{- end }}
{{- if not (has (lower .Values.storage.provider) (list "postgres" "sqlite")) }}
{{- fail (printf "storage.provider must be Postgres or Sqlite (got %q)" .Values.storage.provider) }}
{{- end }}
{{- if lt (int .Values.runtime.partitions) 1 }}
{{- fail "runtime.partitions must be at least 1" }}
{{- end }}
{{- if eq .Values.mode "cluster" }}
{{- if include "cart-recovery.sqlite" . }}
{{- fail "mode=cluster needs storage.provider=Postgres: SQLite is a single-process file store (use mode=embedded)" }}
{{- end }}
{{- if not .Values.kafka.bootstrapServers }}
{{- fail "mode=cluster needs kafka.bootstrapServers: gateways and silos meet through Kafka" }}
{{- end }}
{{- if and .Values.silo.autoscaling.enabled (gt (int .Values.silo.autoscaling.minReplicas) (int .Values.silo.autoscaling.maxReplicas)) }}
{{- fail "silo.autoscaling.minReplicas must not exceed silo.autoscaling.maxReplicas" }}
{{- end }}
{{- end }}
{{- if and (eq .Values.mode "embedded") (ne (int .Values.silo.replicas) 1) }}
{{- fail "mode=embedded runs exactly one pod: set silo.replicas=1" }}
{{- end }}
{{- if and (ne .Values.environment "Development") (not .Values.secrets.existingSecret) }}
{{- fail "secrets.existingSecret is required outside Development: name a Secret holding the keys listed under secrets.keys (see docs/operations.md)" }}
{{- end }}
{{- if and (not (include "cart-recovery.sqlite" .)) (not .Values.secrets.existingSecret) }}
{{- fail "storage.provider=Postgres reads its connection string from secrets.existingSecret, which is empty" }}
{{- end }}
{{- end }}

{{/*
Environment of every container (server, migrations). Call with (dict "root" $ "role" "silo").
Names follow ASP.NET Core configuration: Section__Property.
*/}}
{{- define "cart-recovery.env" -}}
{{- $root := .root -}}
{{- $secret := $root.Values.secrets.existingSecret -}}
- name: ASPNETCORE_ENVIRONMENT
  value: {{ $root.Values.environment | quote }}
- name: Logging__LogLevel__Default
  value: {{ $root.Values.logLevel | quote }}
- name: Silo__Role
  value: {{ .role | quote }}
- name: Http__Port
  value: {{ $root.Values.ports.http | quote }}
- name: Http__InternalPort
  value: {{ $root.Values.ports.internal | quote }}
- name: Runtime__SiloId
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: Runtime__Partitions
  value: {{ $root.Values.runtime.partitions | quote }}
- name: Runtime__FlushInterval
  value: {{ $root.Values.runtime.flushInterval | quote }}
{{- if and (eq .role "gateway") $root.Values.gateway.gcGen0MaxBudget }}
# gateways hold many mostly idle connections: a small young-generation budget keeps the memory
# the GC holds on to (and so the working set per connection) low
- name: DOTNET_GCGen0MaxBudget
  value: {{ $root.Values.gateway.gcGen0MaxBudget | quote }}
{{- end }}
{{- if eq .role "silo" }}
- name: Runtime__OwnAllPartitions
  value: "false"
# where gateways reach this silo's internal endpoint: its stable name under the headless Service
- name: Http__InternalUrl
  value: {{ printf "http://$(Runtime__SiloId).%s.%s.svc:%v" (include "cart-recovery.componentName" (dict "root" $root "component" "silo")) $root.Release.Namespace $root.Values.ports.internal | quote }}
{{- end }}
- name: Storage__Provider
  value: {{ $root.Values.storage.provider | quote }}
{{- if not (include "cart-recovery.sqlite" $root) }}
- name: Storage__ConnectionString
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $root.Values.secrets.keys.storageConnectionString }}
{{- end }}
- name: Kafka__BootstrapServers
  value: {{ $root.Values.kafka.bootstrapServers | quote }}
- name: Kafka__Partitions
  value: {{ $root.Values.runtime.partitions | quote }}
- name: Kafka__EventsTopic
  value: {{ $root.Values.kafka.eventsTopic | quote }}
- name: Kafka__NudgesTopic
  value: {{ $root.Values.kafka.nudgesTopic | quote }}
- name: Kafka__DeadLetterTopic
  value: {{ $root.Values.kafka.deadLetterTopic | quote }}
- name: Kafka__ConsumerGroup
  value: {{ $root.Values.kafka.consumerGroup | quote }}
- name: Auth__AdminUser
  value: {{ $root.Values.auth.adminUser | quote }}
{{- if $secret }}
- name: Auth__SigningKey
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $root.Values.secrets.keys.authSigningKey }}
- name: Auth__AdminPassword
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $root.Values.secrets.keys.authAdminPassword }}
- name: Auth__ShopperTokenKey
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $root.Values.secrets.keys.authShopperTokenKey }}
# server-to-server ingestion key (X-Api-Key); absent from the Secret = shopper tokens only
- name: Auth__IngestKey
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $root.Values.secrets.keys.authIngestKey }}
      optional: true
{{- end }}
{{- if $root.Values.webhook.url }}
- name: Webhook__Url
  value: {{ $root.Values.webhook.url | quote }}
{{- if $secret }}
- name: Webhook__Secret
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $root.Values.secrets.keys.webhookSecret }}
{{- end }}
{{- end }}
{{- range $i, $origin := $root.Values.cors.allowedOrigins }}
- name: Cors__AllowedOrigins__{{ $i }}
  value: {{ $origin | quote }}
{{- end }}
{{- with $root.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "cart-recovery.podSecurityContext" -}}
{{ toYaml .Values.podSecurityContext }}
{{- end }}

{{- define "cart-recovery.containerSecurityContext" -}}
{{ toYaml .Values.containerSecurityContext }}
{{- end }}

{{/* Container ports, probes and mounts of a server container. Call with (dict "root" $ "internal" true). */}}
{{- define "cart-recovery.serverPorts" -}}
- name: http
  containerPort: {{ .root.Values.ports.http }}
  protocol: TCP
{{- if .internal }}
- name: internal
  containerPort: {{ .root.Values.ports.internal }}
  protocol: TCP
{{- end }}
{{- end }}

{{/* Probes hit the public port ("http"): /health/live = process up, /health/ready = able to serve. */}}
{{- define "cart-recovery.probes" -}}
{{- $p := .Values.probes -}}
startupProbe:
  httpGet:
    path: /health/live
    port: http
  periodSeconds: {{ $p.startup.periodSeconds }}
  timeoutSeconds: {{ $p.startup.timeoutSeconds }}
  failureThreshold: {{ $p.startup.failureThreshold }}
livenessProbe:
  httpGet:
    path: /health/live
    port: http
  periodSeconds: {{ $p.liveness.periodSeconds }}
  timeoutSeconds: {{ $p.liveness.timeoutSeconds }}
  failureThreshold: {{ $p.liveness.failureThreshold }}
readinessProbe:
  httpGet:
    path: /health/ready
    port: http
  periodSeconds: {{ $p.readiness.periodSeconds }}
  timeoutSeconds: {{ $p.readiness.timeoutSeconds }}
  failureThreshold: {{ $p.readiness.failureThreshold }}
  successThreshold: {{ $p.readiness.successThreshold }}
{{- end }}

{{- define "cart-recovery.tmpVolume" -}}
- name: tmp
  emptyDir:
    {{- if .Values.tmpVolume.medium }}
    medium: {{ .Values.tmpVolume.medium }}
    {{- end }}
    sizeLimit: {{ .Values.tmpVolume.sizeLimit }}
{{- end }}

{{/*
Zone and node spread of one component. Call with (dict "root" $ "component" "silo").
Gateways count only pods of their own ReplicaSet (pod-template-hash) so a rollout spreads too.
*/}}
{{- define "cart-recovery.topologySpread" -}}
{{- $t := .root.Values.topologySpread -}}
{{- if $t.enabled -}}
topologySpreadConstraints:
  - maxSkew: {{ $t.maxSkew }}
    topologyKey: {{ $t.zoneKey }}
    whenUnsatisfiable: {{ $t.zoneWhenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "cart-recovery.selectorLabels" . | nindent 8 }}
    {{- if eq .component "gateway" }}
    matchLabelKeys:
      - pod-template-hash
    {{- end }}
  - maxSkew: {{ $t.maxSkew }}
    topologyKey: {{ $t.hostKey }}
    whenUnsatisfiable: {{ $t.hostWhenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "cart-recovery.selectorLabels" . | nindent 8 }}
    {{- if eq .component "gateway" }}
    matchLabelKeys:
      - pod-template-hash
    {{- end }}
{{- end }}
{{- end }}
