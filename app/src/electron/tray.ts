// Renders the pure tray model into the system tray: the icon by connection
// state and the menu of tunnel toggles and actions.
import { Menu, nativeImage, Tray } from 'electron';
import type { MenuItemConstructorOptions } from 'electron';
import { join } from 'node:path';
import type { TrayAction, TrayIcon, TrayModel } from '../tray/tray-model.js';

export interface TrayHandlers {
  toggle(tunnel: string, on: boolean): void;
  action(action: TrayAction): void;
  /** Files dropped on the tray icon (macOS). */
  dropFiles(paths: string[]): void;
}

export class AppTray {
  private readonly tray: Tray;

  constructor(
    private readonly assetsDir: string,
    private readonly handlers: TrayHandlers,
  ) {
    this.tray = new Tray(this.image('disconnected'));
    this.tray.on('click', () => handlers.action('manage'));
    this.tray.on('drop-files', (_event, paths) => handlers.dropFiles(paths));
  }

  render(model: TrayModel): void {
    this.tray.setImage(this.image(model.icon));
    this.tray.setToolTip(model.tooltip);
    this.tray.setContextMenu(Menu.buildFromTemplate(model.items.map((item) => this.menuItem(item))));
  }

  destroy(): void {
    this.tray.destroy();
  }

  private menuItem(item: TrayModel['items'][number]): MenuItemConstructorOptions {
    switch (item.kind) {
      case 'tunnel':
        return {
          type: 'checkbox',
          label: item.label,
          checked: item.checked,
          enabled: item.enabled,
          click: () => this.handlers.toggle(item.name, !item.checked),
        };
      case 'action':
        return { label: item.label, click: () => this.handlers.action(item.action) };
      case 'note':
        return { label: item.label, enabled: false };
      case 'separator':
        return { type: 'separator' };
    }
  }

  private image(icon: TrayIcon): Electron.NativeImage {
    // The @2x file next to it is picked up on high-density displays.
    return nativeImage.createFromPath(join(this.assetsDir, `tray-${icon}.png`));
  }
}
