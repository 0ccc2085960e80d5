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
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end }}

{{/* Labels every pod of the release carries (the scope of the default-deny NetworkPolicy). */}}
{{- define "cart-recovery.releaseSelectorLabels" -}}
app.kubernetes.io/name: {{ include "cart-recovery.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The gateways' ServiceAccount (no Kubernetes API access). */}}
{{- define "cart-recovery.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "cart-recovery.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The silos' ServiceAccount: the subject of the Kubernetes hosting Role. */}}
{{- define "cart-recovery.siloServiceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "cart-recovery.componentName" (dict "root" . "component" "silo")) .Values.serviceAccount.siloName }}
{{- else }}
{{- default "default" .Values.serviceAccount.siloName }}
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

{{/* Orleans' Kubernetes hosting is on: cluster mode with cluster.kubernetesHosting.enabled. */}}
{{- define "cart-recovery.kubernetesHosting" -}}
{{- if and (eq .Values.mode "cluster") .Values.cluster.kubernetesHosting.enabled }}true{{ end }}
{{- end }}

{{/*
Configuration checks that apply to every rendering. Included once from the silo StatefulSet
(rendered in both modes).
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
{{- if eq .Values.mode "cluster" }}
{{- if include "cart-recovery.sqlite" . }}
{{- fail "mode=cluster needs storage.provider=Postgres: SQLite is a single-process file store (use mode=embedded)" }}
{{- end }}
{{- if not .Values.secrets.existingSecret }}
{{- fail "mode=cluster reads the Redis connection string (Orleans membership, SignalR backplane) from secrets.existingSecret, which is empty" }}
{{- end }}
{{- range $key := list "serviceId" "clusterId" }}
{{- if not (regexMatch "^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$" (toString (index $.Values.cluster $key))) }}
{{- fail (printf "cluster.%s must be a valid label value (letters, digits, '-', '_', '.'; at most 63): it becomes the pod label orleans/%s" $key $key) }}
{{- end }}
{{- end }}
{{- if or (eq (int .Values.cluster.siloPort) (int .Values.cluster.gatewayPort)) (eq (int .Values.cluster.siloPort) (int .Values.ports.http)) (eq (int .Values.cluster.gatewayPort) (int .Values.ports.http)) }}
{{- fail "cluster.siloPort, cluster.gatewayPort and ports.http must be three different ports" }}
{{- end }}
{{- if and .Values.silo.autoscaling.enabled (gt (int .Values.silo.autoscaling.minReplicas) (int .Values.silo.autoscaling.maxReplicas)) }}
{{- fail "silo.autoscaling.minReplicas must not exceed silo.autoscaling.maxReplicas" }}
{{- end }}
{{- end }}
{{- if and (eq .Values.mode "embedded") (ne (int .Values.silo.replicas) 1) }}
{{- fail "mode=embedded runs exactly one pod (localhost clustering): set silo.replicas=1" }}
{{- end }}
{{- if and (ne .Values.environment "Development") (not .Values.secrets.existingSecret) }}
{{- fail "secrets.existingSecret is required outside Development: name a Secret holding the keys listed under secrets.keys (see docs/operations.md)" }}
{{- end }}
{{- if and (not (include "cart-recovery.sqlite" .)) (not .Values.secrets.existingSecret) }}
{{- fail "storage.provider=Postgres reads its connection string from secrets.existingSecret, which is empty" }}
{{- end }}
{{- if lt (int .Values.silo.terminationGracePeriodSeconds) (add 40 (int .Values.silo.preStopSleepSeconds)) }}
{{- fail "silo.terminationGracePeriodSeconds must cover silo.preStopSleepSeconds plus the 40 s graceful shutdown (leave the cluster, deactivate, write state)" }}
{{- end }}
{{- end }}

{{/*
Environment every container gets (servers and the migrate job): environment, log level, storage.
Call with the root context.
*/}}
{{- define "cart-recovery.baseEnv" -}}
- name: ASPNETCORE_ENVIRONMENT
  value: {{ .Values.environment | quote }}
- name: Logging__LogLevel__Default
  value: {{ .Values.logLevel | quote }}
- name: Storage__Provider
  value: {{ .Values.storage.provider | quote }}
{{- if not (include "cart-recovery.sqlite" .) }}
- name: Storage__ConnectionString
  valueFrom:
    secretKeyRef:
      name: {{ .Values.secrets.existingSecret }}
      key: {{ .Values.secrets.keys.storageConnectionString }}
{{- end }}
{{- end }}

{{/*
Environment of a server container. Call with (dict "root" $ "role" "silo"); role is both, silo or
gateway. Names follow ASP.NET Core configuration: Section__Property.
*/}}
{{- define "cart-recovery.env" -}}
{{- $root := .root -}}
{{- $secret := $root.Values.secrets.existingSecret -}}
{{- include "cart-recovery.baseEnv" $root }}
- name: Silo__Role
  value: {{ .role | quote }}
- name: Http__Port
  value: {{ $root.Values.ports.http | quote }}
{{- if ne .role "both" }}
# silos and gateways meet through Orleans' Redis membership table; nudges cross the SignalR Redis backplane
- name: Cluster__Membership
  value: "Redis"
- name: Cluster__RedisConnectionString
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $root.Values.secrets.keys.redisConnectionString }}
- name: Cluster__ServiceId
  value: {{ $root.Values.cluster.serviceId | quote }}
- name: Cluster__ClusterId
  value: {{ $root.Values.cluster.clusterId | quote }}
{{- end }}
{{- if eq .role "silo" }}
- name: Cluster__SiloPort
  value: {{ $root.Values.cluster.siloPort | quote }}
- name: Cluster__GatewayPort
  value: {{ $root.Values.cluster.gatewayPort | quote }}
# other silos and the gateways reach this silo at its pod IP
- name: Cluster__AdvertisedAddress
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
- name: Cluster__Kubernetes
  value: {{ $root.Values.cluster.kubernetesHosting.enabled | quote }}
{{- if $root.Values.cluster.kubernetesHosting.enabled }}
# read by Orleans' Kubernetes hosting (KubernetesHostingOptions): silo name, namespace, address
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: POD_IP
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
{{- end }}
{{- end }}
{{- if and (eq .role "gateway") $root.Values.gateway.gcGen0MaxBudget }}
# gateways hold many mostly idle connections: a small young-generation budget keeps the memory
# the GC holds on to (and so the working set per connection) low
- name: DOTNET_GCGen0MaxBudget
  value: {{ $root.Values.gateway.gcGen0MaxBudget | quote }}
{{- end }}
{{- if and (eq .role "silo") $root.Values.silo.gcGen0Size }}
# silos work through Kafka's backlog: a large young generation lets the records a partition holds
# and the states on their way to the database die before they are collected
- name: DOTNET_GCgen0size
  value: {{ $root.Values.silo.gcGen0Size | quote }}
{{- end }}
{{- if $root.Values.kafka.bootstrapServers }}
- name: Kafka__BootstrapServers
  value: {{ $root.Values.kafka.bootstrapServers | quote }}
- name: Kafka__EventsTopic
  value: {{ $root.Values.kafka.eventsTopic | quote }}
- name: Kafka__DeadLetterTopic
  value: {{ $root.Values.kafka.deadLetterTopic | quote }}
- name: Kafka__ConsumerGroup
  value: {{ $root.Values.kafka.consumerGroup | quote }}
- name: Kafka__Partitions
  value: {{ $root.Values.kafka.partitions | quote }}
- name: Kafka__SecurityProtocol
  value: {{ $root.Values.kafka.securityProtocol | quote }}
{{- if $root.Values.kafka.saslMechanism }}
- name: Kafka__SaslMechanism
  value: {{ $root.Values.kafka.saslMechanism | quote }}
- name: Kafka__SaslUsername
  value: {{ $root.Values.kafka.saslUsername | quote }}
- name: Kafka__SaslPassword
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ $root.Values.secrets.keys.kafkaSaslPassword }}
      optional: true
{{- end }}
{{- end }}
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
{{- range $i, $proxy := $root.Values.http.trustedProxies }}
- name: Http__TrustedProxies__{{ $i }}
  value: {{ $proxy | quote }}
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

{{/* The public container port every server declares (Http__Port). */}}
{{- define "cart-recovery.httpPort" -}}
- name: http
  containerPort: {{ .Values.ports.http }}
  protocol: TCP
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
