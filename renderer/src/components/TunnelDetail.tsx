// One tunnel: its state and the switch, what went wrong, the interface and each
// peer with live handshake and transfer, and the throughput chart. Once the
// tunnel is down, its last session is shown as what it is: the past.
import { useEffect, useState } from 'react';
import type { PeerStats, TunnelSummary } from '../../../app/src/api/wirefly-api.js';
import { keyToBase64, parseConfig, publicKeyFromPrivate } from '../../../helper/src/config/index.js';
import type { PeerConfig, PeerEndpoint, WgQuickConfig } from '../../../helper/src/config/index.js';
import { formatCidr, formatEndpoint, formatIpAddress } from '../../../helper/src/net/ip.js';
import { useApi, useAppStore, useStores } from '../app-context.js';
import { errorMessage } from '../actions/errors.js';
import { helperStartPlan } from '../actions/helper-start.js';
import { plainFailure } from '../actions/failure-words.js';
import { activateBlocked, isUp, toggleTunnel } from '../actions/toggle-tunnel.js';
import { formatBytes } from '../format/bytes.js';
import { formatHandshakeAge } from '../format/handshake.js';
import { routesAllTraffic } from '../editor/config-analysis.js';
import { CopyButton } from './CopyButton.js';
import { DoctorPanel } from './DoctorPanel.js';
import { StateDot, STATE_LABELS } from './StateDot.js';
import { ThroughputChart } from './ThroughputChart.js';
import { TunnelMenu } from './TunnelMenu.js';

type Loaded = { readonly config: WgQuickConfig } | { readonly error: string } | undefined;

function useTunnelConfig(name: string, owned: boolean): Loaded {
  const api = useApi();
  const [loaded, setLoaded] = useState<Loaded>(undefined);
  useEffect(() => {
    let current = true;
    if (!owned) return;
    setLoaded(undefined);
    api.getConfig(name).then(
      (text) => {
        if (!current) return;
        const parsed = parseConfig(text);
        setLoaded(
          parsed.ok
            ? { config: parsed.config }
            : { error: 'The saved configuration no longer parses; open the editor to fix it.' },
        );
      },
      (error: unknown) => current && setLoaded({ error: errorMessage(error) }),
    );
    return () => {
      current = false;
    };
  }, [api, name, owned]);
  return loaded;
}

function endpointText(endpoint: PeerEndpoint | undefined): string | undefined {
  if (!endpoint) return undefined;
  return endpoint.kind === 'address' ? formatEndpoint(endpoint.address) : `${endpoint.host}:${endpoint.port}`;
}

function Field({ label, children }: { readonly label: string; readonly children: React.ReactNode }) {
  return (
    <div className="field">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function KeyText({ value, label }: { readonly value: string; readonly label: string }) {
  return (
    <span className="key-text">
      <code>{value}</code>
      <CopyButton text={value} label={`Copy ${label}`} />
    </span>
  );
}

/** The helper keeps a root-only copy of a tunnel marked so, and brings it up whenever it starts: at boot, as a service. */
function ConnectAtBoot({ tunnel }: { readonly tunnel: TunnelSummary }) {
  const api = useApi();
  const helperRunning = useAppStore('system', (s) => s.helper?.status === 'running');
  const service = useAppStore('system', (s) => s.service?.kind);
  const [failure, setFailure] = useState<string>();
  const [busy, setBusy] = useState(false);
  const change = async (on: boolean): Promise<void> => {
    setBusy(true);
    setFailure(undefined);
    try {
      await api.setConnectAtBoot(tunnel.name, on);
    } catch (error) {
      setFailure(errorMessage(error));
    } finally {
      setBusy(false);
    }
  };
  const note = !helperRunning
    ? undefined
    : service === 'installed'
      ? 'The helper service brings it up when the computer starts, before anyone logs in.'
      : service === 'installable'
        ? 'Takes effect once the helper runs as a service: install it in Settings.'
        : service === 'requires-approval'
          ? "Takes effect once the helper service is allowed in System Settings' Login Items."
          : 'Takes effect where the helper runs as a service; it cannot be installed here.';
  return (
    <Field label="Connect at boot">
      <label className="boot-toggle">
        <input
          type="checkbox"
          checked={tunnel.connectAtBoot}
          disabled={!helperRunning || busy}
          onChange={(event) => void change(event.target.checked)}
        />
        {!helperRunning ? 'Not known while the helper is not running' : tunnel.connectAtBoot ? 'On' : 'Off'}
      </label>
      {note && <span className="muted">{note}</span>}
      {failure && (
        <span className="form-error" role="alert">
          {' '}
          {failure}
        </span>
      )}
    </Field>
  );
}

function InterfaceSection({ config, tunnel }: { readonly config: WgQuickConfig; readonly tunnel: TunnelSummary }) {
  const iface = config.interface;
  const publicKey = iface.privateKey && keyToBase64(publicKeyFromPrivate(iface.privateKey));
  const dns = [...iface.dns.map(formatIpAddress), ...iface.dnsSearch];
  return (
    <section className="card" aria-labelledby="interface-heading">
      <h3 id="interface-heading">Interface</h3>
      <dl className="fields">
        {publicKey && (
          <Field label="Public key">
            <KeyText value={publicKey} label="interface public key" />
          </Field>
        )}
        {iface.addresses.length > 0 && <Field label="Addresses">{iface.addresses.map(formatCidr).join(', ')}</Field>}
        {dns.length > 0 && <Field label="DNS servers">{dns.join(', ')}</Field>}
        {iface.listenPort !== undefined && <Field label="Listen port">{iface.listenPort}</Field>}
        {iface.mtu !== undefined && <Field label="MTU">{iface.mtu}</Field>}
        {routesAllTraffic(config) && (
          <Field label="Kill switch">{tunnel.killSwitch ? 'On: untunneled traffic is blocked' : 'Off'}</Field>
        )}
        <ConnectAtBoot tunnel={tunnel} />
      </dl>
    </section>
  );
}

function clockTime(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** Handshake and transfer: live while the tunnel is active, the last session's once it is down. */
function PeerCounters({ live, past }: { readonly live: PeerStats; readonly past: boolean }) {
  const transfer = `${formatBytes(live.rxBytes)} received, ${formatBytes(live.txBytes)} sent`;
  if (past) {
    return (
      <>
        <Field label="Last handshake">
          <span data-testid="last-handshake">
            {live.latestHandshake === undefined ? 'None in the last session' : `at ${clockTime(live.latestHandshake)}`}
          </span>
        </Field>
        <Field label="Last session">
          <span data-testid="last-transfer">{transfer}</span>
        </Field>
      </>
    );
  }
  return (
    <>
      <Field label="Latest handshake">
        <span data-testid="latest-handshake">{formatHandshakeAge(live.latestHandshake, Date.now())}</span>
      </Field>
      <Field label="Transfer">
        <span data-testid="transfer">{transfer}</span>
      </Field>
    </>
  );
}

function PeerSection({
  peer,
  live,
  past,
  index,
}: {
  readonly peer: PeerConfig;
  readonly live: PeerStats | undefined;
  readonly past: boolean;
  readonly index: number;
}) {
  const publicKey = keyToBase64(peer.publicKey);
  const endpoint = live?.endpoint ?? endpointText(peer.endpoint);
  const headingId = `peer-heading-${index}`;
  return (
    <section className="card" aria-labelledby={headingId}>
      <h3 id={headingId}>Peer</h3>
      <dl className="fields">
        <Field label="Public key">
          <KeyText value={publicKey} label="peer public key" />
        </Field>
        {endpoint && <Field label="Endpoint">{endpoint}</Field>}
        <Field label="Allowed IPs">
          {peer.allowedIps.length > 0 ? peer.allowedIps.map(formatCidr).join(', ') : 'None'}
        </Field>
        {peer.persistentKeepalive ? (
          <Field label="Persistent keepalive">every {peer.persistentKeepalive} seconds</Field>
        ) : null}
        {live && <PeerCounters live={live} past={past} />}
      </dl>
    </section>
  );
}

/** What went wrong in plain words, what to do, and the system's own words one click away. */
function Problem({ tunnel, failure }: { readonly tunnel: TunnelSummary; readonly failure: string | undefined }) {
  const detail = failure ?? (tunnel.state === 'error' ? tunnel.error : undefined);
  if (!detail) return null;
  const plain = plainFailure(detail);
  return (
    <div className="inline-alert error problem" role="alert">
      <p>
        <strong data-testid="problem-summary">
          {failure ? plain.summary : `The tunnel stopped with an error. ${plain.summary}`}
        </strong>{' '}
        <span data-testid="problem-advice">{plain.advice}</span>
      </p>
      <details>
        <summary>Details</summary>
        <pre data-testid="problem-detail">{detail}</pre>
      </details>
    </div>
  );
}

/** A tunnel the helper runs that none of the app's configs is: it was started some other way. */
function NotOwned({ tunnel }: { readonly tunnel: TunnelSummary }) {
  return (
    <div className="inline-alert info" data-testid="not-owned">
      <strong>Not one of this app’s tunnels.</strong> It was started{' '}
      {tunnel.startedBy ? `by ${tunnel.startedBy}` : 'outside this app'} with a configuration Wirefly does not have, so
      it can be deactivated here but not edited.
    </div>
  );
}

export function TunnelDetail({ tunnel }: { readonly tunnel: TunnelSummary }) {
  const api = useApi();
  const stores = useStores();
  const loaded = useTunnelConfig(tunnel.name, tunnel.owned);
  const failure = useAppStore('tunnels', (s) => s.failures[tunnel.name]);
  // Each stats event re-renders the detail, which is what ages "latest handshake".
  const stats = useAppStore('stats', (s) => s.latest[tunnel.name]);
  const busy = tunnel.state === 'activating' || tunnel.state === 'deactivating';
  const up = isUp(tunnel);
  const blocked = up ? undefined : activateBlocked(tunnel);
  const past = tunnel.state !== 'active';
  const activateNote = useAppStore('system', (s) => helperStartPlan(s.helper, s.service)?.activateNote);

  return (
    <article className="detail" aria-labelledby="detail-heading">
      <header className="detail-header">
        <div className="detail-title">
          <StateDot state={tunnel.state} />
          <h2 id="detail-heading">{tunnel.name}</h2>
          <span className={`state-label state-${tunnel.state}`}>{STATE_LABELS[tunnel.state]}</span>
          {!tunnel.owned && <span className="badge">Not from this app</span>}
        </div>
        <div className="detail-actions">
          <button
            type="button"
            className={`button ${up ? '' : 'primary'}`}
            disabled={busy || blocked !== undefined}
            aria-busy={busy}
            aria-describedby={blocked ? 'activate-blocked' : undefined}
            onClick={() => void toggleTunnel(api, stores, tunnel)}
          >
            {tunnel.state === 'activating'
              ? 'Activating…'
              : tunnel.state === 'deactivating'
                ? 'Deactivating…'
                : up
                  ? 'Deactivate'
                  : 'Activate'}
          </button>
          {tunnel.owned && (
            <>
              <button
                type="button"
                className="button"
                onClick={() => stores.ui.getState().edit({ kind: 'edit', name: tunnel.name })}
              >
                Edit
              </button>
              <TunnelMenu tunnel={tunnel} />
            </>
          )}
        </div>
      </header>
      {!up && activateNote && <p className="activate-note muted">{activateNote}</p>}
      {blocked && (
        <p id="activate-blocked" className="inline-alert info" data-testid="activate-blocked">
          {blocked}
        </p>
      )}
      {!tunnel.owned && <NotOwned tunnel={tunnel} />}
      <Problem tunnel={tunnel} failure={failure} />
      {tunnel.owned && loaded === undefined && <p className="muted">Loading…</p>}
      {loaded && 'error' in loaded && (
        <div className="inline-alert error" role="alert">
          {loaded.error}
        </div>
      )}
      {loaded && 'config' in loaded && (
        <>
          <InterfaceSection config={loaded.config} tunnel={tunnel} />
          <DoctorPanel tunnel={tunnel} />
          {loaded.config.peers.map((peer, index) => (
            <PeerSection
              key={index}
              index={index}
              peer={peer}
              live={stats?.peers.find((p) => p.publicKey === keyToBase64(peer.publicKey))}
              past={past}
            />
          ))}
        </>
      )}
      {stats && !past && (
        <section className="card" aria-labelledby="throughput-heading">
          <h3 id="throughput-heading">Throughput</h3>
          <ThroughputChart tunnel={tunnel.name} />
        </section>
      )}
    </article>
  );
}
