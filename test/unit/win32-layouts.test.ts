// The Windows structures koffi is given for WFP and DNS have the x64 layouts
// of fwpmtypes.h and netioapi.h (sizes and field offsets), checked with koffi
// itself: these calls cannot run under Wine, so a wrong offset would
// otherwise first show on a real Windows. x64 alignment is the same on Linux.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadKoffi } from '../../helper/src/os/win32/koffi.js';
import { dnsSettingsType, wfp } from '../../helper/src/os/win32/koffi-network.js';

function layout(type: Parameters<ReturnType<typeof loadKoffi>['sizeof']>[0], fields: readonly string[]) {
  const koffi = loadKoffi();
  return {
    size: koffi.sizeof(type),
    ...Object.fromEntries(fields.map((field) => [field, koffi.offsetof(type, field)])),
  };
}

test('FWPM_FILTER0 and its parts', () => {
  const { filter } = wfp();
  assert.deepEqual(
    layout(filter, [
      'filterKey',
      'displayData',
      'flags',
      'providerKey',
      'providerData',
      'layerKey',
      'subLayerKey',
      'weight',
      'numFilterConditions',
      'filterCondition',
      'action',
      'providerContextKey',
      'reserved',
      'filterId',
      'effectiveWeight',
    ]),
    {
      size: 200,
      filterKey: 0,
      displayData: 16,
      flags: 32,
      providerKey: 40,
      providerData: 48,
      layerKey: 64,
      subLayerKey: 80,
      weight: 96,
      numFilterConditions: 112,
      filterCondition: 120,
      action: 128,
      providerContextKey: 152,
      reserved: 168,
      filterId: 176,
      effectiveWeight: 184,
    },
  );
  const koffi = loadKoffi();
  assert.equal(koffi.sizeof('FWP_VALUE0'), 16);
  assert.equal(koffi.offsetof('FWP_VALUE0', 'value'), 8);
  assert.deepEqual(layout('FWPM_FILTER_CONDITION0', ['fieldKey', 'matchType', 'conditionValue']), {
    size: 40,
    fieldKey: 0,
    matchType: 16,
    conditionValue: 24,
  });
  assert.deepEqual(layout('FWPM_ACTION0', ['type', 'filterType']), { size: 20, type: 0, filterType: 4 });
  assert.equal(koffi.sizeof('FWP_V6_ADDR_AND_MASK'), 17);
});

test('FWPM_SESSION0, FWPM_SUBLAYER0, FWPM_PROVIDER0', () => {
  const { session, sublayer, provider } = wfp();
  assert.deepEqual(
    layout(session, [
      'sessionKey',
      'displayData',
      'flags',
      'txnWaitTimeoutInMSec',
      'processId',
      'sid',
      'username',
      'kernelMode',
    ]),
    {
      size: 72,
      sessionKey: 0,
      displayData: 16,
      flags: 32,
      txnWaitTimeoutInMSec: 36,
      processId: 40,
      sid: 48,
      username: 56,
      kernelMode: 64,
    },
  );
  assert.deepEqual(layout(sublayer, ['subLayerKey', 'displayData', 'flags', 'providerKey', 'providerData', 'weight']), {
    size: 72,
    subLayerKey: 0,
    displayData: 16,
    flags: 32,
    providerKey: 40,
    providerData: 48,
    weight: 64,
  });
  assert.deepEqual(layout(provider, ['providerKey', 'displayData', 'flags', 'providerData', 'serviceName']), {
    size: 64,
    providerKey: 0,
    displayData: 16,
    flags: 32,
    providerData: 40,
    serviceName: 56,
  });
});

test('DNS_INTERFACE_SETTINGS', () => {
  const { settings, guid } = dnsSettingsType();
  assert.deepEqual(
    layout(settings, [
      'Version',
      'Flags',
      'Domain',
      'NameServer',
      'SearchList',
      'RegistrationEnabled',
      'RegisterAdapterName',
      'EnableLLMNR',
      'QueryAdapterName',
      'ProfileNameServer',
    ]),
    {
      size: 64,
      Version: 0,
      Flags: 8,
      Domain: 16,
      NameServer: 24,
      SearchList: 32,
      RegistrationEnabled: 40,
      RegisterAdapterName: 44,
      EnableLLMNR: 48,
      QueryAdapterName: 52,
      ProfileNameServer: 56,
    },
  );
  assert.equal(loadKoffi().sizeof(guid), 16);
});
