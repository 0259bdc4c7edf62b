import type { CategoryNode } from '@ksn/contracts';

/** A leaf of the application category tree and who publishes software in it. */
export interface CategoryLeaf {
  /** Segments separated by '/', 2 or 3 deep. */
  readonly path: string;
  /** Relative share of the known clean files that fall in this category. */
  readonly weight: number;
  /** [vendor, product] pairs. */
  readonly publishers: readonly (readonly [string, string])[];
}

const MS = 'Microsoft Corporation';

/**
 * The application category tree the emulator serves and draws from: every
 * category the corpus assigns is one of these leaves, and `categoryTree`
 * builds the served tree from them, so the two cannot disagree.
 */
export const CATEGORY_LEAVES: readonly CategoryLeaf[] = [
  leaf('Golden Image/Operating Systems & Utilities/OS Components', 20, [
    [MS, 'Microsoft Windows Operating System'],
    ['Canonical Ltd.', 'Ubuntu'],
    ['Apple Inc.', 'macOS'],
  ]),
  leaf('Golden Image/Operating Systems & Utilities/Drivers', 6, [
    ['Intel Corporation', 'Intel Graphics Driver'],
    ['NVIDIA Corporation', 'NVIDIA Graphics Driver'],
    ['Realtek Semiconductor Corp.', 'Realtek High Definition Audio Driver'],
    ['Advanced Micro Devices, Inc.', 'AMD Software'],
  ]),
  leaf('Golden Image/Operating Systems & Utilities/System utilities', 4, [
    [MS, 'Windows Sysinternals'],
    [MS, 'PowerShell'],
  ]),
  leaf('Golden Image/Security software/Endpoint protection', 2, [[MS, 'Microsoft Defender Antivirus']]),
  leaf('Trusted updaters/Operating system updaters', 3, [[MS, 'Windows Update']]),
  leaf('Trusted updaters/Application updaters', 3, [
    ['Google LLC', 'Google Update'],
    ['Mozilla Corporation', 'Mozilla Maintenance Service'],
    ['Adobe Inc.', 'Adobe Update Service'],
  ]),
  leaf('Browsers/Web browsers', 5, [
    ['Google LLC', 'Google Chrome'],
    ['Mozilla Corporation', 'Firefox'],
    [MS, 'Microsoft Edge'],
    ['Opera Norway AS', 'Opera'],
    ['Brave Software, Inc.', 'Brave Browser'],
  ]),
  leaf('Browsers/Browser extensions', 2, [
    ['Raymond Hill', 'uBlock Origin'],
    ['AgileBits Inc.', '1Password extension'],
  ]),
  leaf('Games/Game launchers', 2, [
    ['Valve Corp.', 'Steam'],
    ['Epic Games, Inc.', 'Epic Games Launcher'],
    ['Electronic Arts', 'EA app'],
  ]),
  leaf('Games/Online games', 2, [
    ['Riot Games, Inc.', 'League of Legends'],
    ['Blizzard Entertainment, Inc.', 'Battle.net'],
  ]),
  leaf('Games/Single-player games', 1, [['CD PROJEKT S.A.', 'The Witcher 3: Wild Hunt']]),
  leaf('Office/Office suites', 5, [
    [MS, 'Microsoft 365 Apps'],
    ['The Document Foundation', 'LibreOffice'],
  ]),
  leaf('Office/PDF tools', 2, [
    ['Adobe Inc.', 'Adobe Acrobat Reader'],
    ['Foxit Software Inc.', 'Foxit PDF Reader'],
  ]),
  leaf('Office/Note taking', 1, [
    [MS, 'OneNote'],
    ['Notion Labs, Inc.', 'Notion'],
  ]),
  leaf('Development tools/Compilers & interpreters', 3, [
    ['Python Software Foundation', 'Python'],
    ['OpenJS Foundation', 'Node.js'],
    ['Oracle America, Inc.', 'Java SE Runtime Environment'],
  ]),
  leaf('Development tools/IDEs & editors', 3, [
    [MS, 'Visual Studio Code'],
    ['JetBrains s.r.o.', 'IntelliJ IDEA'],
    ['Don Ho', 'Notepad++'],
  ]),
  leaf('Development tools/Version control', 1, [
    ['The Git Development Community', 'Git for Windows'],
    ['GitHub, Inc.', 'GitHub Desktop'],
  ]),
  leaf('Remote administration tools/Remote desktop', 2, [
    ['TeamViewer Germany GmbH', 'TeamViewer'],
    ['AnyDesk Software GmbH', 'AnyDesk'],
    [MS, 'Remote Desktop Connection'],
  ]),
  leaf('Remote administration tools/Remote shells', 1, [['Simon Tatham', 'PuTTY']]),
  leaf('Messengers/Instant messaging', 2, [
    ['Telegram FZ-LLC', 'Telegram Desktop'],
    ['Slack Technologies, LLC', 'Slack'],
  ]),
  leaf('Messengers/Video conferencing', 2, [
    ['Zoom Video Communications, Inc.', 'Zoom Workplace'],
    [MS, 'Microsoft Teams'],
  ]),
  leaf('Multimedia/Audio & video players', 2, [
    ['VideoLAN', 'VLC media player'],
    ['Spotify AB', 'Spotify'],
  ]),
  leaf('Multimedia/Image editors', 1, [
    ['The GIMP Team', 'GIMP'],
    ['Adobe Inc.', 'Adobe Photoshop'],
  ]),
  leaf('Networking/File transfer', 1, [
    ['Tim Kosse', 'FileZilla'],
    ['Martin Prikryl', 'WinSCP'],
  ]),
  leaf('Networking/VPN clients', 1, [
    ['OpenVPN Inc.', 'OpenVPN Connect'],
    ['WireGuard LLC', 'WireGuard'],
  ]),
  leaf('Archivers/Compression tools', 2, [
    ['Igor Pavlov', '7-Zip'],
    ['win.rar GmbH', 'WinRAR'],
  ]),
  leaf('Databases/Database clients', 1, [
    ['DBeaver Corp', 'DBeaver'],
    ['Oracle America, Inc.', 'MySQL Workbench'],
  ]),
  leaf('Email clients/Desktop mail', 1, [
    ['Mozilla Corporation', 'Thunderbird'],
    [MS, 'Outlook'],
  ]),
];

function leaf(path: string, weight: number, publishers: CategoryLeaf['publishers']): CategoryLeaf {
  return { path, weight, publishers };
}

/** Every path of the tree, inner nodes included (for validating a category given by hand). */
export const CATEGORY_PATHS: ReadonlySet<string> = new Set(
  CATEGORY_LEAVES.flatMap((l) => l.path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'))),
);

/** The tree as served by `GET /v1/categories`, roots and children in first-seen order. */
export function categoryTree(leaves: readonly CategoryLeaf[] = CATEGORY_LEAVES): CategoryNode[] {
  const roots: CategoryNode[] = [];
  for (const { path } of leaves) {
    let level = roots;
    const parts = path.split('/');
    for (let i = 0; i < parts.length; i++) {
      const name = parts[i]!;
      let node = level.find((n) => n.name === name);
      if (!node) {
        node = { name, path: parts.slice(0, i + 1).join('/'), children: [] };
        level.push(node);
      }
      level = node.children;
    }
  }
  return roots;
}
